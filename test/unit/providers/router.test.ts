import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../helpers/random.js";
import {
  createMemoryRoutingState,
  createRouter,
  fileSettings,
  parseProvidersFile,
  singleProviderSettings,
  type Classification,
  type HealthSettings,
  type RoutePlan,
  type RoutingState,
  type StateChange,
} from "../../../src/providers/index.js";

const FILE = `
providers:
  - id: friendli
    base_url: https://api.friendli.ai/serverless/v1
    api_key_env: FRIENDLI_TOKEN
    priority: 1
    cost: { input_per_mtok: 0.10, output_per_mtok: 0.40 }
    models:
      reasoning-llm: meta-llama-3.1-8b-instruct
      "*": "*"
  - id: backup
    base_url: https://backup.example/v1
    priority: 2
    max_concurrency: 2
    models:
      reasoning-llm: backup-reasoner
      fixed-model: "backup-fixed"
      "*": "backup-default"
  - id: local
    base_url: http://127.0.0.1:11434/v1
    tier: local
    priority: 0
    models: { reasoning-llm: "qwen3:8b", small: "qwen3:1.7b" }
routes:
  - model: reasoning-llm
    strategy: priority
    providers: [friendli, backup, local]
  - model: small
    strategy: priority
    providers: [local]
  - model: rr
    strategy: round_robin
    providers: [friendli, backup]
  - model: "*"
    strategy: priority
    providers: [friendli, backup]
summary_route:
  strategy: priority
  providers: [local, friendli]
`;

const CATCH_ALL_ROUTE = `  - model: "*"\n    strategy: priority\n    providers: [friendli, backup]\n`;
const SUMMARY_ROUTE = "summary_route:\n  strategy: priority\n  providers: [local, friendli]\n";
const ENV = { FRIENDLI_TOKEN: "tok" };
const FAIL = { rateLimited: false, retryAfterMs: undefined };
const ROUTINE: Classification = { category: "routine", reason: "short", estimatedTokens: 3 };
const COMPLEX: Classification = { category: "complex", reason: "contains code", estimatedTokens: 30 };
const SAFETY: Classification = { category: "safety_critical", reason: 'explicit category "safety_critical"', estimatedTokens: 3 };

function setup(yaml = FILE) {
  let t = 5_000_000;
  const changes: StateChange[] = [];
  const router = createRouter(fileSettings(parseProvidersFile(yaml, "test.yaml", ENV), ENV), {
    now: () => t,
    random: mulberry32(1),
    onChange: (c) => changes.push(c),
  });
  const candidate = (id: string) => {
    const provider = router.providers().find((p) => p.id === id);
    if (!provider) throw new Error(`no provider ${id}`);
    return { provider, upstreamModel: "m" };
  };
  return {
    router,
    changes,
    candidate,
    advance: (ms: number) => {
      t += ms;
    },
    /** Open the circuit of one provider. */
    trip: (id: string) => {
      for (let i = 0; i < 3; i++) router.failure(candidate(id), FAIL);
    },
    rateLimit: (id: string, retryAfterMs: number | undefined) => router.failure(candidate(id), { rateLimited: true, retryAfterMs }),
  };
}

const chat = (classification?: Classification) => ({ kind: "chat" as const, classification });
const order = (p: RoutePlan) => p.candidates.map((c) => `${c.provider.id}:${c.upstreamModel}`);
const ids = (p: RoutePlan) => p.candidates.map((c) => c.provider.id);

describe("createRouter (file settings)", () => {
  it("builds provider targets with the key from the named variable", () => {
    const { router } = setup();
    expect(router.providers().map((p) => [p.id, p.target])).toEqual([
      ["friendli", { baseUrl: "https://api.friendli.ai/serverless/v1", path: "/chat/completions", apiKey: "tok", kind: "openai" }],
      ["backup", { baseUrl: "https://backup.example/v1", path: "/chat/completions", apiKey: undefined, kind: "openai" }],
      ["local", { baseUrl: "http://127.0.0.1:11434/v1", path: "/chat/completions", apiKey: undefined, kind: "openai" }],
    ]);
    expect(router.usesTaskRouting).toBe(true);
  });

  describe("plan", () => {
    it("uses the first matching route and maps the public model to each provider's id", () => {
      const { router } = setup();
      const p = router.plan("reasoning-llm", chat());
      expect(p.strategy).toBe("priority");
      // Cloud first (by priority), then local.
      expect(order(p)).toEqual(["friendli:meta-llama-3.1-8b-instruct", "backup:backup-reasoner", "local:qwen3:8b"]);
      expect(p.retryAfterMs).toBeUndefined();
    });

    it('falls back to the "*" route, passing models through or mapping them by "*"', () => {
      const { router } = setup();
      expect(order(router.plan("gpt-oss-20b", chat()))).toEqual(["friendli:gpt-oss-20b", "backup:backup-default"]);
      expect(order(router.plan("fixed-model", chat()))).toEqual(["friendli:fixed-model", "backup:backup-fixed"]);
    });

    it("skips providers on the route that do not serve the model", () => {
      const yaml = FILE.replace("providers: [local]", "providers: [friendli, local]").replace(`      "*": "*"\n`, "");
      const { router } = setup(yaml);
      // friendli no longer passes unknown models through: only local serves "small".
      expect(order(router.plan("small", chat()))).toEqual(["local:qwen3:1.7b"]);
    });

    it("says so when no provider on the route serves the model", () => {
      const yaml = FILE.replace(`      "*": "*"\n`, "").replace(`      "*": "backup-default"\n`, "");
      const { router } = setup(yaml);
      expect(router.plan("unknown-model", chat())).toEqual({
        strategy: "priority",
        candidates: [],
        reason: 'no provider on the route serves "unknown-model"',
        retryAfterMs: undefined,
      });
    });

    it("says so when no route matches", () => {
      const yaml = FILE.replace(CATCH_ALL_ROUTE, "");
      const { router } = setup(yaml);
      expect(router.plan("nothing", chat())).toEqual({
        strategy: "priority",
        candidates: [],
        reason: 'no route matches model "nothing"',
        retryAfterMs: undefined,
      });
    });

    it("does not send a chat request for an unrouted model through the summary route", () => {
      const yaml = FILE.replace(CATCH_ALL_ROUTE, "");
      const { router } = setup(yaml);
      const p = router.plan("nothing", chat());
      expect(p.candidates).toEqual([]);
      expect(p.reason).toBe('no route matches model "nothing"');
    });

    it("puts local first for routine work and last for complex work", () => {
      const { router } = setup();
      const routine = router.plan("reasoning-llm", chat(ROUTINE));
      expect(ids(routine)).toEqual(["local", "friendli", "backup"]);
      expect(routine.reason).toBe("routine (short) → local first");
      const complex = router.plan("reasoning-llm", chat(COMPLEX));
      expect(ids(complex)).toEqual(["friendli", "backup", "local"]);
      expect(complex.reason).toBe("complex (contains code)");
      // Without a classification the strategy is the reason; local still goes last.
      const plain = router.plan("reasoning-llm", chat());
      expect(ids(plain)).toEqual(["friendli", "backup", "local"]);
      expect(plain.reason).toBe("priority");
    });

    it("routine work goes to the cloud when the route has no local provider", () => {
      const { router } = setup();
      const p = router.plan("gpt-oss", chat(ROUTINE));
      expect(ids(p)).toEqual(["friendli", "backup"]);
      expect(p.reason).toBe("routine (short)");
    });

    it("sends safety_critical work to cloud providers only, and says so", () => {
      const { router } = setup();
      const p = router.plan("reasoning-llm", chat(SAFETY));
      expect(ids(p)).toEqual(["friendli", "backup"]);
      expect(p.reason).toBe('safety_critical (explicit category "safety_critical") → cloud only');
      expect(p.category).toBe("safety_critical");
      expect(router.plan("reasoning-llm", chat(ROUTINE)).category).toBe("routine");
      expect(router.plan("reasoning-llm", chat()).category).toBeUndefined();
    });

    it("never falls back to local for safety_critical work: no cloud provider left is no candidate, with Retry-After", () => {
      const { router, trip, rateLimit } = setup();
      trip("friendli");
      rateLimit("backup", 10_000);
      expect(ids(router.plan("reasoning-llm", chat(ROUTINE)))).toEqual(["local"]);
      const p = router.plan("reasoning-llm", chat(SAFETY));
      expect(p.candidates).toEqual([]);
      expect(p.reason).toBe("safety_critical work goes to cloud providers only, and every one is cooling down or unhealthy");
      expect(p.retryAfterMs).toBe(10_000);
    });

    it("a route without a cloud provider cannot serve safety_critical work", () => {
      const { router } = setup();
      expect(ids(router.plan("small", chat(ROUTINE)))).toEqual(["local"]);
      const p = router.plan("small", chat(SAFETY));
      expect(p.candidates).toEqual([]);
      expect(p.reason).toBe('safety_critical work goes to cloud providers only, and no cloud provider on the route serves "small"');
    });

    it("cloud-only mode: JSON requests skip a provider whose answers keep failing their schema; others still go there", () => {
      const { router } = setup();
      for (let i = 0; i < 5; i++) router.schemaChecked("local", false);
      const json = router.plan("reasoning-llm", { ...chat(ROUTINE), json: true });
      expect(ids(json)).toEqual(["friendli", "backup"]);
      expect(json.reason).toBe("routine (short); JSON skips local (its answers keep failing their schema)");
      expect(ids(router.plan("reasoning-llm", chat(ROUTINE)))).toEqual(["local", "friendli", "backup"]);
      expect(router.snapshots().find((p) => p.id === "local")?.json).toMatchObject({ skipped: true, checked: 5, failed: 5 });
      // Nobody else on the route: a doubtful answer (still checked) beats none.
      const alone = router.plan("small", { ...chat(ROUTINE), json: true });
      expect(ids(alone)).toEqual(["local"]);
      expect(alone.reason).toContain("kept local as the last resort");
      router.reset();
      expect(ids(router.plan("reasoning-llm", { ...chat(ROUTINE), json: true }))).toEqual(["local", "friendli", "backup"]);
    });

    it("falls back to local when every cloud provider is unavailable", () => {
      const { router, trip, rateLimit } = setup();
      trip("friendli");
      rateLimit("backup", 10_000);
      const p = router.plan("reasoning-llm", chat(COMPLEX));
      expect(ids(p)).toEqual(["local"]);
      expect(p.reason).toBe("every cloud provider unavailable → local fallback");
      expect(router.plan("reasoning-llm", chat()).reason).toBe("every cloud provider unavailable → local fallback");
    });

    it("leaves out providers in cooldown and brings them back after it", () => {
      const { router, rateLimit, advance } = setup();
      rateLimit("friendli", 2_000);
      expect(ids(router.plan("reasoning-llm", chat()))).toEqual(["backup", "local"]);
      advance(1_999);
      expect(ids(router.plan("reasoning-llm", chat()))).toEqual(["backup", "local"]);
      advance(1);
      expect(ids(router.plan("reasoning-llm", chat()))).toEqual(["friendli", "backup", "local"]);
    });

    it("leaves out providers with an open circuit and offers them again half-open", () => {
      const { router, trip, advance, candidate } = setup();
      trip("friendli");
      expect(ids(router.plan("reasoning-llm", chat()))).toEqual(["backup", "local"]);
      advance(60_000);
      const p = router.plan("reasoning-llm", chat());
      expect(ids(p)).toEqual(["friendli", "backup", "local"]);
      // Only one request may probe it.
      expect(router.acquire(p.candidates[0]!)).toBe(true);
      expect(router.acquire(candidate("friendli"))).toBe(false);
      router.success(p.candidates[0]!, 120);
      router.release(p.candidates[0]!);
      expect(router.acquire(candidate("friendli"))).toBe(true);
    });

    it("leaves out unhealthy providers until a health check passes", () => {
      const { router } = setup();
      router.probed("backup", false);
      expect(ids(router.plan("reasoning-llm", chat()))).toEqual(["friendli", "local"]);
      router.probed("backup", true);
      expect(ids(router.plan("reasoning-llm", chat()))).toEqual(["friendli", "backup", "local"]);
    });

    it("returns no candidates, a reason and the shortest wait when none is available", () => {
      const { router, rateLimit, trip, advance } = setup();
      rateLimit("friendli", 30_000);
      rateLimit("backup", 12_000);
      trip("local"); // open for 60 s
      advance(2_000);
      expect(router.plan("reasoning-llm", chat(ROUTINE))).toEqual({
        strategy: "priority",
        candidates: [],
        reason: "every provider is cooling down or unhealthy",
        retryAfterMs: 10_000,
        category: "routine",
      });
    });

    it("has no retryAfterMs when every provider is unhealthy (no known end)", () => {
      const { router } = setup();
      router.probed("friendli", false);
      router.probed("backup", false);
      const p = router.plan("gpt-oss", chat());
      expect(p.candidates).toEqual([]);
      expect(p.reason).toBe("every provider is cooling down or unhealthy");
      expect(p.retryAfterMs).toBeUndefined();
    });

    it("rotates a round-robin route across requests", () => {
      const { router } = setup();
      const firsts = Array.from({ length: 6 }, () => ids(router.plan("rr", chat()))[0]);
      expect(firsts).toEqual(["friendli", "backup", "friendli", "backup", "friendli", "backup"]);
    });

    it("keeps round-robin rotation of chat apart from summary plans", () => {
      const { router } = setup();
      router.setStrategy("round_robin", "(summaries)");
      const chatFirsts: (string | undefined)[] = [];
      for (let i = 0; i < 4; i++) {
        chatFirsts.push(ids(router.plan("rr", chat()))[0]);
        expect(router.plan("rr", { kind: "summary" }).strategy).toBe("round_robin");
      }
      expect(chatFirsts).toEqual(["friendli", "backup", "friendli", "backup"]);
    });

    it("does not advance round-robin for other strategies' plans", () => {
      const { router } = setup();
      for (let i = 0; i < 3; i++) router.plan("gpt-oss", chat());
      expect(ids(router.plan("rr", chat()))[0]).toBe("friendli");
    });

    it("rotates a round-robin route across requests with a classification too", () => {
      const { router } = setup();
      const firsts = Array.from({ length: 4 }, () => ids(router.plan("rr", chat(COMPLEX)))[0]);
      expect(firsts).toEqual(["friendli", "backup", "friendli", "backup"]);
    });
  });

  describe("summary plans", () => {
    it("use summary_route, sending the model as is to providers that do not list it", () => {
      const { router } = setup();
      const p = router.plan("reasoning-llm", { kind: "summary" });
      expect(p.strategy).toBe("priority");
      expect(order(p)).toEqual(["friendli:meta-llama-3.1-8b-instruct", "local:qwen3:8b"]);
      const q = router.plan("tiny-summariser", { kind: "summary", classification: ROUTINE });
      expect(order(q)).toEqual(["local:tiny-summariser", "friendli:tiny-summariser"]);
    });

    it("use the model's own route when there is no summary_route", () => {
      const yaml = FILE.replace(SUMMARY_ROUTE, "");
      const { router } = setup(yaml);
      expect(order(router.plan("small", { kind: "summary" }))).toEqual(["local:qwen3:1.7b"]);
      expect(order(router.plan("gpt-oss", { kind: "summary" }))).toEqual(["friendli:gpt-oss", "backup:backup-default"]);
    });
  });

  describe("setStrategy", () => {
    it("switches every route, including summaries, at run time", () => {
      const { router } = setup();
      expect(router.setStrategy("cost")).toBe(5);
      expect(router.routes().map((r) => r.strategy)).toEqual(["cost", "cost", "cost", "cost", "cost"]);
      const p = router.plan("gpt-oss", chat());
      expect(p.strategy).toBe("cost");
      // friendli has a known cost, backup none: friendli first whatever its priority.
      expect(ids(p)).toEqual(["friendli", "backup"]);
      expect(router.plan("x", { kind: "summary" }).strategy).toBe("cost");
    });

    it("switches only the routes for one model", () => {
      const { router } = setup();
      expect(router.setStrategy("round_robin", "reasoning-llm")).toBe(1);
      expect(router.routes()).toEqual([
        { model: "reasoning-llm", strategy: "round_robin", providers: ["friendli", "backup", "local"] },
        { model: "small", strategy: "priority", providers: ["local"] },
        { model: "rr", strategy: "round_robin", providers: ["friendli", "backup"] },
        { model: "*", strategy: "priority", providers: ["friendli", "backup"] },
        { model: "(summaries)", strategy: "priority", providers: ["local", "friendli"] },
      ]);
      expect(router.plan("reasoning-llm", chat()).strategy).toBe("round_robin");
      expect(router.plan("gpt-oss", chat()).strategy).toBe("priority");
      expect(router.setStrategy("latency", "(summaries)")).toBe(1);
      expect(router.plan("x", { kind: "summary" }).strategy).toBe("latency");
      expect(router.setStrategy("latency", "no-such-model")).toBe(0);
    });

    it("reset() clears overrides and provider state", () => {
      const { router, trip, changes } = setup();
      router.setStrategy("weighted");
      trip("friendli");
      router.reset();
      expect(router.routes().map((r) => r.strategy)).toEqual(["priority", "priority", "round_robin", "priority", "priority"]);
      expect(ids(router.plan("gpt-oss", chat()))).toEqual(["friendli", "backup"]);
      expect(changes.at(-1)).toEqual({ id: "friendli", from: "open", to: "active", reason: "reset" });
    });
  });

  describe("acquire and outcomes", () => {
    it("waits for a routing state that must ask elsewhere (a fleet-wide probe claim)", async () => {
      const settings = fileSettings(parseProvidersFile(FILE, "test.yaml", ENV), ENV);
      const base = createMemoryRoutingState(
        settings.providers.map((p) => p.id),
        settings.health,
        () => 0,
      );
      let grant = true;
      const state: RoutingState = { ...base, tryAcquire: async (id, max) => grant && base.tryAcquire(id, max) };
      const router = createRouter(settings, { now: () => 0, random: mulberry32(1), state });
      const c = { provider: router.providers()[0]!, upstreamModel: "m" };
      const answer = router.acquire(c);
      expect(answer).toBeInstanceOf(Promise);
      expect(await answer).toBe(true);
      grant = false;
      expect(await router.acquire(c)).toBe(false);
      expect(router.snapshots()[0]!.inFlight).toBe(1);
    });

    it("the only provider is never refused, even when a shared state answers later", async () => {
      const settings = singleProviderSettings(
        { baseUrl: "http://x", path: "/c", apiKey: undefined },
        parseProvidersFile(FILE, "t.yaml", ENV).health,
        parseProvidersFile(FILE, "t.yaml", ENV).task_routing,
      );
      const base = createMemoryRoutingState(["upstream"], settings.health, () => 0);
      const router = createRouter(settings, { now: () => 0, random: mulberry32(1), state: { ...base, tryAcquire: async () => false } });
      const c = { provider: router.providers()[0]!, upstreamModel: "m" };
      expect(await router.acquire(c)).toBe(true);
      expect(router.snapshots()[0]!.inFlight).toBe(1);
    });

    it("keeps run-time strategies in the routing state, where replicas can share them", () => {
      const settings = fileSettings(parseProvidersFile(FILE, "test.yaml", ENV), ENV);
      const state = createMemoryRoutingState(
        settings.providers.map((p) => p.id),
        settings.health,
        () => 0,
      );
      const router = createRouter(settings, { now: () => 0, random: mulberry32(1), state });
      router.setStrategy("cost", "small");
      expect(state.strategy("1")).toBe("cost");
      // Set by another replica: this router plans with it.
      state.setStrategy("0", "least_busy");
      expect(router.plan("reasoning-llm", chat()).strategy).toBe("least_busy");
    });

    it("respects max_concurrency", () => {
      const { router, candidate } = setup();
      expect(router.acquire(candidate("backup"))).toBe(true);
      expect(router.acquire(candidate("backup"))).toBe(true);
      expect(router.acquire(candidate("backup"))).toBe(false);
      router.release(candidate("backup"));
      expect(router.acquire(candidate("backup"))).toBe(true);
    });

    it("refuses a provider whose circuit opened after the plan was made", () => {
      const { router, trip } = setup();
      const p = router.plan("gpt-oss", chat());
      trip("friendli");
      expect(router.acquire(p.candidates[0]!)).toBe(false);
      expect(router.acquire(p.candidates[1]!)).toBe(true);
    });

    it("reports outcomes in snapshots and to onChange", () => {
      const { router, candidate, changes } = setup();
      expect(router.acquire(candidate("local"))).toBe(true);
      router.success(candidate("local"), 80);
      router.release(candidate("local"));
      const snap = router.snapshots().find((s) => s.id === "local");
      expect(snap).toMatchObject({
        tier: "local",
        base_url: "http://127.0.0.1:11434/v1",
        requests: 1,
        successes: 1,
        inFlight: 0,
        latencyEwmaMs: 80,
        state: "active",
      });
      router.probed("local", false);
      expect(changes).toEqual([{ id: "local", from: "active", to: "unhealthy", reason: "health check failed" }]);
    });
  });
});

describe("createRouter (single provider)", () => {
  const health: HealthSettings = {
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
  };
  const target = { baseUrl: "http://localhost:8001", path: "/chat/completions", apiKey: undefined };

  function single() {
    const t = 0;
    return createRouter(singleProviderSettings(target, health, { local_context_tokens: 8192, long_prompt_chars: 4000 }), {
      now: () => t,
      random: mulberry32(3),
    });
  }

  it("routes every model to the one upstream unchanged", () => {
    const router = single();
    const p = router.plan("anything", chat(ROUTINE));
    expect(order(p)).toEqual(["upstream:anything"]);
    expect(p.candidates[0]!.provider.target).toEqual(target);
    expect(order(router.plan("summary-model", { kind: "summary" }))).toEqual(["upstream:summary-model"]);
    expect(router.usesTaskRouting).toBe(false);
  });

  it("never refuses the upstream, even with its circuit open or in cooldown", () => {
    const router = single();
    const c = router.plan("m", chat()).candidates[0]!;
    for (let i = 0; i < 3; i++) router.failure(c, FAIL);
    expect(router.snapshots()[0]!.state).toBe("open");
    const p = router.plan("m", chat());
    expect(ids(p)).toEqual(["upstream"]);
    expect(router.acquire(c)).toBe(true);
    expect(router.acquire(c)).toBe(true);
    expect(router.snapshots()[0]).toMatchObject({ state: "open", inFlight: 2, requests: 2 });
    router.failure(c, { rateLimited: true, retryAfterMs: 5_000 });
    expect(router.snapshots()[0]!.state).toBe("cooldown");
    expect(ids(router.plan("m", chat()))).toEqual(["upstream"]);
    expect(router.acquire(c)).toBe(true);
    router.probed("upstream", false);
    expect(router.acquire(c)).toBe(true);
  });
});
