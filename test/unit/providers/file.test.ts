import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileSettings, loadProvidersFile, parseProvidersFile, ProvidersFileError } from "../../../src/providers/index.js";

/** The example from SPEC §6, verbatim. */
const SPEC_EXAMPLE = `
providers:
  - id: friendli                       # unique, [a-z0-9-]
    base_url: https://api.friendli.ai/serverless/v1
    path: /chat/completions            # default
    api_key_env: FRIENDLI_TOKEN        # the name of an environment variable; never a literal key
    tier: cloud                        # cloud | local
    weight: 1                          # for weighted
    priority: 1                        # lower first, for priority
    max_concurrency: 64                # optional
    cost: { input_per_mtok: 0.10, output_per_mtok: 0.40 }   # optional, for cost
    models:                            # public model name -> the provider's model id
      reasoning-llm: meta-llama-3.1-8b-instruct
      "*": "*"                         # optional: pass any other model through unchanged
  - id: local
    base_url: http://127.0.0.1:11434/v1
    tier: local
    models: { reasoning-llm: qwen3:8b }
routes:                                # first match wins; "*" matches any model
  - model: reasoning-llm
    strategy: priority                 # round_robin | weighted | least_busy | latency | cost | priority
    providers: [friendli, local]
  - model: "*"
    strategy: round_robin
    providers: [friendli]
summary_route:                         # optional: where summary calls go (default: the same routing as their model)
  strategy: latency
  providers: [local, friendli]
health:                                # all optional
  cooldown_seconds: 60                 # after a 429 without Retry-After
  failure_rate: 0.5                    # circuit opens above this rate ...
  window_seconds: 60                   # ... over this window ...
  min_requests: 5                      # ... once it holds this many requests
  consecutive_failures: 3              # or after this many failures in a row
  max_open_seconds: 300                # half-open probe delay doubles up to this
  probe_interval_seconds: 0            # active health checks; 0 = off
  schema_failure_rate: 0.5             # cloud-only mode: JSON requests skip a provider whose checked answers fail above this rate ...
  schema_window_seconds: 300           # ... in this window (then one JSON request probes it; a valid answer brings it back) ...
  schema_min_requests: 5               # ... once the window holds this many checks; rate 1 = off
`;

const ENV = { FRIENDLI_TOKEN: "secret" };

const EXPECTED = {
  providers: [
    {
      id: "friendli",
      kind: "openai",
      base_url: "https://api.friendli.ai/serverless/v1",
      path: "/chat/completions",
      api_key_env: "FRIENDLI_TOKEN",
      tier: "cloud",
      weight: 1,
      priority: 1,
      max_concurrency: 64,
      cost: { input_per_mtok: 0.1, output_per_mtok: 0.4 },
      models: { "reasoning-llm": "meta-llama-3.1-8b-instruct", "*": "*" },
    },
    {
      id: "local",
      kind: "openai",
      base_url: "http://127.0.0.1:11434/v1",
      path: "/chat/completions",
      tier: "local",
      weight: 1,
      priority: 100,
      models: { "reasoning-llm": "qwen3:8b" },
    },
  ],
  routes: [
    { model: "reasoning-llm", strategy: "priority", providers: ["friendli", "local"] },
    { model: "*", strategy: "round_robin", providers: ["friendli"] },
  ],
  summary_route: { strategy: "latency", providers: ["local", "friendli"] },
  health: {
    cooldown_seconds: 60,
    failure_rate: 0.5,
    window_seconds: 60,
    min_requests: 5,
    consecutive_failures: 3,
    max_open_seconds: 300,
    probe_interval_seconds: 0,
    schema_failure_rate: 0.5,
    schema_window_seconds: 300,
    schema_min_requests: 5,
  },
  task_routing: { local_context_tokens: 8192, long_prompt_chars: 4000 },
};

/** Problems from a file that must not parse. */
function problems(text: string, env: Record<string, string | undefined> = {}, file = "providers.yaml"): string[] {
  try {
    parseProvidersFile(text, file, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ProvidersFileError);
    const err = e as ProvidersFileError;
    expect(err.file).toBe(file);
    expect(err.message.startsWith(`${file}: invalid providers file:`)).toBe(true);
    for (const p of err.problems) expect(err.message).toContain(`  - ${p}`);
    return err.problems;
  }
  throw new Error("expected the file to be rejected");
}

const minimal = (providers: string, routes = `routes:\n  - model: "*"\n    providers: [a]\n`) => `providers:\n${providers}${routes}`;
const A = `  - id: a\n    base_url: http://a.example\n`;

describe("parseProvidersFile", () => {
  it("parses the SPEC §6 example", () => {
    expect(parseProvidersFile(SPEC_EXAMPLE, "providers.yaml", ENV)).toEqual(EXPECTED);
  });

  it("parses the same file written as JSON", () => {
    const json = JSON.stringify(
      {
        providers: [
          {
            id: "friendli",
            base_url: "https://api.friendli.ai/serverless/v1",
            path: "/chat/completions",
            api_key_env: "FRIENDLI_TOKEN",
            tier: "cloud",
            weight: 1,
            priority: 1,
            max_concurrency: 64,
            cost: { input_per_mtok: 0.1, output_per_mtok: 0.4 },
            models: { "reasoning-llm": "meta-llama-3.1-8b-instruct", "*": "*" },
          },
          { id: "local", base_url: "http://127.0.0.1:11434/v1", tier: "local", models: { "reasoning-llm": "qwen3:8b" } },
        ],
        routes: [
          { model: "reasoning-llm", strategy: "priority", providers: ["friendli", "local"] },
          { model: "*", strategy: "round_robin", providers: ["friendli"] },
        ],
        summary_route: { strategy: "latency", providers: ["local", "friendli"] },
      },
      null,
      2,
    );
    expect(parseProvidersFile(json, "providers.json", ENV)).toEqual(EXPECTED);
  });

  it("fills in defaults for a minimal file", () => {
    const f = parseProvidersFile(minimal(`  - id: a\n    base_url: http://a.example/v1///\n`), "p.yaml", {});
    expect(f.providers[0]).toEqual({
      id: "a",
      kind: "openai",
      base_url: "http://a.example/v1",
      path: "/chat/completions",
      tier: "cloud",
      weight: 1,
      priority: 100,
      models: { "*": "*" },
    });
    expect(f.routes[0]).toEqual({ model: "*", strategy: "priority", providers: ["a"] });
    expect(f.summary_route).toBeUndefined();
    expect(f.health).toEqual(EXPECTED.health);
    expect(f.task_routing).toEqual(EXPECTED.task_routing);
  });

  it("fills in the rest of a partial health section", () => {
    const f = parseProvidersFile(minimal(A) + "health:\n  cooldown_seconds: 5\n", "p.yaml", {});
    expect(f.health).toEqual({ ...EXPECTED.health, cooldown_seconds: 5 });
  });

  it("names an unknown provider in a route by its path", () => {
    expect(problems(minimal(A, `routes:\n  - model: "*"\n    providers: [a, x]\n`))).toEqual(['routes[0].providers[1]: unknown provider "x"']);
  });

  it("names an unknown provider in the summary route", () => {
    expect(problems(minimal(A) + "summary_route:\n  providers: [a, zz]\n")).toEqual(['summary_route.providers[1]: unknown provider "zz"']);
  });

  it("reads per-model reasoning formats for a provider and hands them to the router", () => {
    const yaml = minimal(`  - id: a\n    base_url: http://a.example\n    reasoning_formats:\n      "my-magistral*": mistral\n      qwen3-raw: think\n`);
    const f = parseProvidersFile(yaml, "p.yaml", {});
    expect(f.providers[0]?.reasoning_formats).toEqual({ "my-magistral*": "mistral", "qwen3-raw": "think" });
    expect(fileSettings(f, {}).providers[0]?.reasoningFormats).toEqual([
      { pattern: "my-magistral*", mode: "mistral" },
      { pattern: "qwen3-raw", mode: "think" },
    ]);
    expect(problems(minimal(`  - id: a\n    base_url: http://a.example\n    reasoning_formats: { x: sideways }\n`))).toEqual([
      expect.stringMatching(/^providers\[0\]\.reasoning_formats\.x: must be one of auto, tags, think, fields, think-open/),
    ]);
  });

  it("rejects a duplicate id", () => {
    expect(problems(minimal(A + `  - id: a\n    base_url: http://b.example\n`))).toEqual(['providers[1].id: duplicate provider id "a"']);
  });

  it("rejects bad id characters", () => {
    for (const id of ["Friendli", "my_provider", "a.b", '""']) {
      expect(problems(minimal(`  - id: ${id}\n    base_url: http://a.example\n`, `routes:\n  - model: "*"\n    providers: [${id}]\n`)), id).toEqual([
        "providers[0].id: must match [a-z0-9-]+",
      ]);
    }
  });

  it("rejects a bad base_url", () => {
    for (const url of ["not a url", "ftp://files.example", "api.example.com/v1"]) {
      expect(problems(minimal(`  - id: a\n    base_url: ${url}\n`)), url).toEqual(["providers[0].base_url: must be an http(s) URL"]);
    }
  });

  it("rejects an unknown strategy", () => {
    expect(problems(minimal(A, `routes:\n  - model: "*"\n    strategy: fastest\n    providers: [a]\n`))).toEqual([
      "routes[0].strategy: must be one of round_robin, weighted, least_busy, latency, cost, priority",
    ]);
  });

  it("rejects unknown keys, at the top level and inside", () => {
    const top = problems(minimal(A) + "extras: 1\n");
    expect(top).toHaveLength(1);
    expect(top[0]).toMatch(/^\(top level\): .*"extras"/);
    const inner = problems(minimal(`  - id: a\n    base_url: http://a.example\n    api_key: sk-123\n`));
    expect(inner).toHaveLength(1);
    expect(inner[0]).toMatch(/^providers\[0\]: .*"api_key"/);
  });

  it("rejects a literal key in api_key_env", () => {
    expect(problems(minimal(`  - id: a\n    base_url: http://a.example\n    api_key_env: sk-abc123\n`))).toEqual([
      "providers[0].api_key_env: must be the name of an environment variable, not a key",
    ]);
  });

  it("rejects api_key_env naming an unset (or empty) variable", () => {
    const text = minimal(A + `  - id: b\n    base_url: http://b.example\n    api_key_env: FOO\n`);
    expect(problems(text, {})).toEqual(["providers[1].api_key_env: environment variable FOO is not set"]);
    expect(problems(text, { FOO: "  " })).toEqual(["providers[1].api_key_env: environment variable FOO is not set"]);
    expect(parseProvidersFile(text, "p.yaml", { FOO: "k" }).providers[1]!.api_key_env).toBe("FOO");
  });

  it("names the first provider's unset variable as providers[0]", () => {
    expect(problems(minimal(`  - id: a\n    base_url: http://a.example\n    api_key_env: FOO\n`))).toEqual([
      "providers[0].api_key_env: environment variable FOO is not set",
    ]);
  });

  it("reports invalid YAML", () => {
    const p = problems("providers: [\n  - id: a\n", {}, "broken.yaml");
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^not valid YAML\/JSON: /);
  });

  it("reports a file that is not a mapping", () => {
    expect(problems("")[0]).toMatch(/^\(top level\): /);
    expect(problems("- a\n- b\n")[0]).toMatch(/^\(top level\): /);
  });

  it("requires at least one provider and one route", () => {
    expect(problems("providers: []\nroutes: []\n")).toEqual(["providers: must declare at least one provider", "routes: must declare at least one route"]);
  });

  it("reports several problems together", () => {
    const text = [
      "providers:",
      "  - id: Bad_Id",
      "    base_url: nope",
      "  - id: b",
      "    base_url: http://b.example",
      "    weight: -1",
      "routes:",
      '  - model: "*"',
      "    strategy: cheapest",
      "    providers: [b]",
      "",
    ].join("\n");
    const p = problems(text);
    expect(p).toEqual(
      expect.arrayContaining([
        "providers[0].id: must match [a-z0-9-]+",
        "providers[0].base_url: must be an http(s) URL",
        "routes[0].strategy: must be one of round_robin, weighted, least_busy, latency, cost, priority",
      ]),
    );
    expect(p.some((x) => x.startsWith("providers[1].weight: "))).toBe(true);
    expect(p).toHaveLength(4);
  });

  it("reports schema problems and unknown providers together", () => {
    const p = problems(minimal(`  - id: a\n    base_url: nope\n`, `routes:\n  - model: "*"\n    providers: [a, x]\n`));
    expect(p).toEqual(["providers[0].base_url: must be an http(s) URL", 'routes[0].providers[1]: unknown provider "x"']);
  });

  it("reports every unset variable together", () => {
    const text = minimal(`  - id: a\n    base_url: http://a.example\n    api_key_env: ONE\n  - id: b\n    base_url: http://b.example\n    api_key_env: TWO\n`);
    expect(problems(text, {})).toEqual([
      "providers[0].api_key_env: environment variable ONE is not set",
      "providers[1].api_key_env: environment variable TWO is not set",
    ]);
  });
});

describe("loadProvidersFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "providers-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads and parses a file", () => {
    const path = join(dir, "providers.yaml");
    writeFileSync(path, SPEC_EXAMPLE);
    expect(loadProvidersFile(path, ENV)).toEqual(EXPECTED);
  });

  it("names the file in validation errors", () => {
    const path = join(dir, "bad.yaml");
    writeFileSync(path, minimal(A, `routes:\n  - model: "*"\n    providers: [x]\n`));
    expect(() => loadProvidersFile(path, {})).toThrow(`${path}: invalid providers file:\n  - routes[0].providers[0]: unknown provider "x"`);
  });

  it("names a missing path", () => {
    const path = join(dir, "missing.yaml");
    let caught: unknown;
    try {
      loadProvidersFile(path, {});
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ProvidersFileError);
    const err = caught as ProvidersFileError;
    expect(err.file).toBe(path);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^cannot read: .*ENOENT/);
    expect(err.message).toContain(path);
  });
});

describe("provider kinds", () => {
  const native = `providers:
  - id: claude
    kind: anthropic
    base_url: https://api.anthropic.com
    api_key_env: ANTHROPIC_API_KEY
    thinking_budget: 2048
    default_max_tokens: 8192
  - id: gem
    kind: gemini
    base_url: https://generativelanguage.googleapis.com
    thinking_budget: -1
  - id: box
    kind: ollama
    base_url: http://127.0.0.1:11434
    think: false
  - id: compat
    base_url: http://127.0.0.1:8001/v1
routes:
  - model: "*"
    providers: [claude, gem, box, compat]
`;
  const env = { ANTHROPIC_API_KEY: "sk-ant" };

  it("defaults to openai and fills each kind's own chat path", () => {
    const f = parseProvidersFile(native, "p.yaml", env);
    expect(f.providers.map((p) => [p.id, p.kind, p.path])).toEqual([
      ["claude", "anthropic", "/v1/messages"],
      ["gem", "gemini", "/v1beta"],
      ["box", "ollama", "/api/chat"],
      ["compat", "openai", "/chat/completions"],
    ]);
  });

  it("hands kind and native settings to the upstream target", () => {
    const targets = fileSettings(parseProvidersFile(native, "p.yaml", env), env).providers.map((p) => p.target);
    expect(targets).toEqual([
      {
        baseUrl: "https://api.anthropic.com",
        path: "/v1/messages",
        apiKey: "sk-ant",
        kind: "anthropic",
        native: { thinkingBudget: 2048, defaultMaxTokens: 8192 },
      },
      { baseUrl: "https://generativelanguage.googleapis.com", path: "/v1beta", apiKey: undefined, kind: "gemini", native: { thinkingBudget: -1 } },
      { baseUrl: "http://127.0.0.1:11434", path: "/api/chat", apiKey: undefined, kind: "ollama", native: { think: false } },
      { baseUrl: "http://127.0.0.1:8001/v1", path: "/chat/completions", apiKey: undefined, kind: "openai" },
    ]);
  });

  it("names an unknown kind and every setting given to a kind it does not apply to", () => {
    const bad = minimal(`  - id: a
    kind: mistral
    base_url: http://a.example
  - id: b
    kind: ollama
    base_url: http://b.example
    thinking_budget: 100
    anthropic_version: "2023-06-01"
  - id: c
    kind: anthropic
    base_url: http://c.example
    thinking_budget: 512
    think: true
`);
    let problems: string[] = [];
    try {
      parseProvidersFile(bad, "p.yaml", {});
    } catch (e) {
      problems = (e as ProvidersFileError).problems;
    }
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^providers\[0\]\.kind: must be one of openai, anthropic, gemini, ollama/)]));
    // The kind error stops zod before the cross-field checks; check those on a file with valid kinds.
    const crossField = bad.replace("kind: mistral", "kind: openai");
    try {
      parseProvidersFile(crossField, "p.yaml", {});
    } catch (e) {
      problems = (e as ProvidersFileError).problems;
    }
    expect(problems).toEqual([
      "providers[1].thinking_budget: only applies to kind anthropic or gemini (this provider is ollama)",
      "providers[1].anthropic_version: only applies to kind anthropic (this provider is ollama)",
      "providers[2].think: only applies to kind ollama (this provider is anthropic)",
      "providers[2].thinking_budget: must be at least 1024 for anthropic",
    ]);
  });
});

describe("the native provider examples in docs/providers.md", () => {
  const doc = readFileSync(new URL("../../../docs/providers.md", import.meta.url), "utf8");
  const examples = [...doc.matchAll(/```yaml\n(providers:\n {2}- id: \w+\n {4}kind: (anthropic|gemini|ollama)\n[\s\S]*?)```/g)];

  it.each(["anthropic", "gemini", "ollama"])("the %s example parses", (kind) => {
    const example = examples.find((m) => m[2] === kind);
    expect(example).toBeDefined();
    const id = /- id: (\w+)/.exec(example![1]!)![1];
    const file = `${example![1]}routes:\n  - model: "*"\n    providers: [${id}]\n`;
    const parsed = parseProvidersFile(file, "docs/providers.md", { ANTHROPIC_API_KEY: "k", GEMINI_API_KEY: "k" });
    expect(parsed.providers[0]!.kind).toBe(kind);
  });
});
