import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, envSchema, loadConfig } from "../../../src/config/index.js";

describe("loadConfig", () => {
  it("has the SPEC's defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: "127.0.0.1",
      port: 8000,
      upstream: { baseUrl: "http://localhost:8001", path: "/chat/completions", apiKey: undefined },
      summaryModelDefault: undefined,
      allowModels: undefined,
      requestTimeoutMs: 60_000,
      summaryTimeoutMs: 10_000,
      maxReasoningChars: 8000,
      maxRetries: 3,
      retryBackoffMs: 1000,
      parseReasoningFields: true,
      keepaliveMs: 15_000,
      maxBodyBytes: 10_485_760,
      logLevel: "info",
    });
  });

  it("allows raw reasoning on request unless ALLOW_RAW_REASONING=false", () => {
    expect(loadConfig({}).allowRawReasoning).toBe(true);
    expect(loadConfig({ ALLOW_RAW_REASONING: "false" }).allowRawReasoning).toBe(false);
    expect(() => loadConfig({ ALLOW_RAW_REASONING: "maybe" })).toThrow("ALLOW_RAW_REASONING");
  });

  it("accepts every family format in MODEL_CAPABILITIES", () => {
    expect(
      loadConfig({ MODEL_CAPABILITIES: "a*=harmony,b*=mistral,c*=seed,d*=kimi,e*=cohere,f*=granite,g*=hunyuan,h*=gemma4,i*=think-open,j*=deepseek-v3" })
        .capabilities,
    ).toHaveLength(10);
  });

  it("bounds an upstream line at UPSTREAM_MAX_LINE_BYTES (1 MiB by default), refusing silly values", () => {
    expect(loadConfig({}).upstreamMaxLineBytes).toBe(1_048_576);
    expect(loadConfig({ UPSTREAM_MAX_LINE_BYTES: "65536" }).upstreamMaxLineBytes).toBe(65_536);
    expect(() => loadConfig({ UPSTREAM_MAX_LINE_BYTES: "10" })).toThrow('UPSTREAM_MAX_LINE_BYTES: must be ≥ 1024 (got "10")');
  });

  it("treats empty strings as unset", () => {
    const c = loadConfig({ PORT: "", UPSTREAM_API_KEY: "", ALLOW_MODELS: " ", REQUEST_TIMEOUT: "" });
    expect(c.port).toBe(8000);
    expect(c.upstream.apiKey).toBeUndefined();
    expect(c.allowModels).toBeUndefined();
    expect(c.requestTimeoutMs).toBe(60_000);
  });

  it("parses lists, booleans, capabilities and trims the base URL", () => {
    const c = loadConfig({
      ALLOW_MODELS: "a, b,,c",
      ENABLE_PARSE_REASONING: "false",
      MODEL_CAPABILITIES: "deepseek-r1*=think, gpt-oss=fields",
      UPSTREAM_BASE_URL: "https://api.example.com/v1/",
    });
    expect(c.allowModels).toEqual(["a", "b", "c"]);
    expect(c.parseReasoningFields).toBe(false);
    expect(c.capabilities).toEqual([
      { pattern: "deepseek-r1*", mode: "think" },
      { pattern: "gpt-oss", mode: "fields" },
    ]);
    expect(c.upstream.baseUrl).toBe("https://api.example.com/v1");
  });

  it("reads MODEL_CAPABILITIES globs and names a malformed entry", () => {
    expect(loadConfig({ MODEL_CAPABILITIES: "*DeepSeek-R1*=think,*gpt-oss*=fields" }).capabilities).toEqual([
      { pattern: "*DeepSeek-R1*", mode: "think" },
      { pattern: "*gpt-oss*", mode: "fields" },
    ]);
    for (const bad of ["a=think=tags", "deepseek-r1", "=think", "x=reasoning"]) {
      expect(() => loadConfig({ MODEL_CAPABILITIES: bad }), bad).toThrow(
        `MODEL_CAPABILITIES: "${bad}" is not PATTERN=MODE, where MODE is one of auto, tags, think, fields`,
      );
    }
  });

  it("reports every bad variable at once, without echoing secrets", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "eighty", REQUEST_TIMEOUT: "-1", UPSTREAM_BASE_URL: "ftp://x", LOG_LEVEL: "loud", UPSTREAM_PATH: "chat" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const name of ["PORT", "REQUEST_TIMEOUT", "UPSTREAM_BASE_URL", "LOG_LEVEL", "UPSTREAM_PATH"]) expect(problems).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(5);
  });

  it("scale-out variables: unset Redis means in-process, one worker", () => {
    const c = loadConfig({});
    expect(c.redis).toEqual({ url: undefined, prefix: "sgw:", timeoutMs: 250, outageMs: 3_000 });
    expect(c.replicaTtlMs).toBe(10_000);
    expect(c.workers).toBe(1);
    const d = loadConfig({
      REDIS_URL: "redis://:pw@cache:6379/2",
      REDIS_PREFIX: "gw:prod:",
      REDIS_TIMEOUT_MS: "100",
      REDIS_OUTAGE_MS: "1500",
      REPLICA_TTL_SECONDS: "2.5",
      WORKERS: "auto",
    });
    expect(d.redis).toEqual({ url: "redis://:pw@cache:6379/2", prefix: "gw:prod:", timeoutMs: 100, outageMs: 1_500 });
    expect(d.replicaTtlMs).toBe(2_500);
    expect(d.workers).toBe("auto");
    expect(loadConfig({ WORKERS: "4" }).workers).toBe(4);
  });

  it("scale-out variables: ranges are named, and a Redis URL (it may hold a password) is never echoed", () => {
    let error: unknown;
    try {
      loadConfig({ REDIS_URL: "http://:secret@x", REDIS_PREFIX: "a b", REDIS_TIMEOUT_MS: "5", REPLICA_TTL_SECONDS: "-5", WORKERS: "0" });
    } catch (e) {
      error = e;
    }
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      "REDIS_URL: must be a redis:// or rediss:// URL",
      'REDIS_PREFIX: must be 1-64 characters of A-Z a-z 0-9 : _ . - { } (got "a b")',
      'REDIS_TIMEOUT_MS: must be from 10 to 10000 (got "5")',
      'REPLICA_TTL_SECONDS: must be a number from 1 to 3600 (got "-5")',
      'WORKERS: must be "auto" or a whole number from 1 to 256 (got "0")',
    ]);
  });
});

describe("loadConfig: messages that name the range", () => {
  const problemFor = (name: string, value: string): string => {
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      if (e instanceof ConfigError) return e.problems.join("\n");
    }
    return "(accepted)";
  };

  it.each([
    ["REQUEST_TIMEOUT", "-5", 'REQUEST_TIMEOUT: must be a number > 0 (got "-5")'],
    ["REQUEST_TIMEOUT", "soon", 'REQUEST_TIMEOUT: must be a number > 0 (got "soon")'],
    ["SUMMARY_TIMEOUT", "0", 'SUMMARY_TIMEOUT: must be a number > 0 (got "0")'],
    ["SSE_KEEPALIVE_SECONDS", "-1", 'SSE_KEEPALIVE_SECONDS: must be a number > 0 (got "-1")'],
    ["SHUTDOWN_GRACE_SECONDS", "0", 'SHUTDOWN_GRACE_SECONDS: must be a number > 0 (got "0")'],
    ["MAX_REASONING_CHARS", "5", 'MAX_REASONING_CHARS: must be ≥ 100 (got "5")'],
    ["MAX_REASONING_CHARS", "150.5", 'MAX_REASONING_CHARS: must be a whole number ≥ 100 (got "150.5")'],
    ["PORT", "70000", 'PORT: must be from 0 to 65535 (got "70000")'],
    ["PORT", "eighty", 'PORT: must be a whole number from 0 to 65535 (got "eighty")'],
    ["UPSTREAM_MAX_RETRIES", "21", 'UPSTREAM_MAX_RETRIES: must be from 0 to 20 (got "21")'],
    ["UPSTREAM_RETRY_BACKOFF", "-0.5", 'UPSTREAM_RETRY_BACKOFF: must be a number ≥ 0 (got "-0.5")'],
    ["MAX_BODY_BYTES", "10", 'MAX_BODY_BYTES: must be ≥ 1024 (got "10")'],
    ["KEY_RPM", "-1", 'KEY_RPM: must be ≥ 0 (got "-1")'],
    ["KEY_MAX_CONCURRENT", "1.5", 'KEY_MAX_CONCURRENT: must be a whole number ≥ 0 (got "1.5")'],
    ["VALIDATION_MAX_ATTEMPTS", "0", 'VALIDATION_MAX_ATTEMPTS: must be from 1 to 10 (got "0")'],
    ["VALIDATION_MAX_ATTEMPTS", "2.5", 'VALIDATION_MAX_ATTEMPTS: must be a whole number from 1 to 10 (got "2.5")'],
  ])("%s=%s", (name, value, expected) => {
    expect(problemFor(name, value)).toBe(expected);
  });

  it("VALIDATION_MAX_ATTEMPTS defaults to 3 and is read as given", () => {
    expect(loadConfig({}).validationMaxAttempts).toBe(3);
    expect(loadConfig({ VALIDATION_MAX_ATTEMPTS: "5" }).validationMaxAttempts).toBe(5);
  });

  it("gives every numeric variable a range message", () => {
    // Any variable that takes a number must reject nonsense with "must be …", never zod's wording.
    for (const [name, schema] of Object.entries(envSchema.shape)) {
      if (typeof schema.safeParse(undefined).data !== "number") continue;
      expect(problemFor(name, "nonsense"), name).toMatch(
        new RegExp(`^${name}: must be (a number|a whole number|"auto" or a whole number) .+ \\(got "nonsense"\\)$`),
      );
    }
  });

  it("refuses an UPSTREAM_BASE_URL that ends in /chat/completions, with the fix", () => {
    const p = problemFor("UPSTREAM_BASE_URL", "https://api.deepseek.com/v1/chat/completions/");
    expect(p).toContain("UPSTREAM_BASE_URL: ends in /chat/completions: give the base URL before it (e.g. https://api.example.com/v1)");
    expect(loadConfig({ UPSTREAM_BASE_URL: "https://api.deepseek.com/v1" }).upstream.baseUrl).toBe("https://api.deepseek.com/v1");
  });
});

describe(".env.example", () => {
  const example = parseEnv(readFileSync(new URL("../../../.env.example", import.meta.url), "utf8"));
  const clientVars = ["GATEWAY_URL", "GATEWAY_API_KEY", "FRIENDLI_ENDPOINT_ID", "FRIENDLI_TOKEN", "FRIENDLI_TEAM", "FRIENDLI_API_BASE"];

  it("documents every variable the schema reads", () => {
    for (const key of Object.keys(envSchema.shape)) expect(example, key).toHaveProperty(key);
  });

  it("documents nothing the gateway or client does not read, and its values load", () => {
    for (const key of Object.keys(example)) expect([...Object.keys(envSchema.shape), ...clientVars]).toContain(key);
    expect(() => loadConfig(example)).not.toThrow();
  });
});

describe("research mode settings", () => {
  it("are off by default, with a 5 s search and 5 results", () => {
    expect(loadConfig({}).research).toEqual({ url: undefined, timeoutMs: 5000, maxResults: 5 });
  });

  it("read SEARCH_URL (trailing slashes dropped), SEARCH_TIMEOUT in seconds and SEARCH_MAX_RESULTS", () => {
    expect(loadConfig({ SEARCH_URL: "http://127.0.0.1:8888/searxng/", SEARCH_TIMEOUT: "0.5", SEARCH_MAX_RESULTS: "20" }).research).toEqual({
      url: "http://127.0.0.1:8888/searxng",
      timeoutMs: 500,
      maxResults: 20,
    });
  });

  it("name the range of every bad value", () => {
    let error: unknown;
    try {
      loadConfig({ SEARCH_URL: "ftp://search.example", SEARCH_TIMEOUT: "-5", SEARCH_MAX_RESULTS: "21" });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      'SEARCH_URL: must be an http(s) URL (got "ftp://search.example")',
      'SEARCH_TIMEOUT: must be a number > 0 (got "-5")',
      'SEARCH_MAX_RESULTS: must be from 1 to 20 (got "21")',
    ]);
    expect(() => loadConfig({ SEARCH_MAX_RESULTS: "0" })).toThrow("SEARCH_MAX_RESULTS: must be from 1 to 20");
    expect(() => loadConfig({ SEARCH_MAX_RESULTS: "2.5" })).toThrow("SEARCH_MAX_RESULTS: must be a whole number from 1 to 20");
  });
});
