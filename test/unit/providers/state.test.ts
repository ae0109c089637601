import { describe, expect, it } from "vitest";
import { createMemoryRoutingState, CREDENTIALS_REFUSED, type HealthSettings, type StateChange } from "../../../src/providers/index.js";

const HEALTH: HealthSettings = {
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

const FAIL = { rateLimited: false, retryAfterMs: undefined };

function setup(health: Partial<HealthSettings> = {}, ids = ["a", "b"]) {
  let t = 1_000_000;
  const changes: StateChange[] = [];
  const state = createMemoryRoutingState(
    ids,
    { ...HEALTH, ...health },
    () => t,
    (c) => changes.push(c),
  );
  return {
    state,
    changes,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Trip the breaker with consecutive failures. */
function trip(state: ReturnType<typeof setup>["state"], id = "a", n = HEALTH.consecutive_failures) {
  for (let i = 0; i < n; i++) state.failure(id, FAIL);
}

describe("createMemoryRoutingState", () => {
  it("starts every provider active and empty", () => {
    const { state } = setup();
    expect(state.snapshot("a")).toEqual({
      id: "a",
      state: "active",
      inFlight: 0,
      requests: 0,
      successes: 0,
      failures: 0,
      successRate: null,
      latencyEwmaMs: null,
      cooldownRemainingMs: 0,
      consecutiveFailures: 0,
    });
  });

  it("throws on an unknown provider id", () => {
    const { state } = setup();
    expect(() => state.snapshot("nope")).toThrow(/unknown provider nope/);
  });

  describe("429 cooldown", () => {
    it("cools down for Retry-After, then is active again", () => {
      const { state, advance, changes } = setup();
      state.failure("a", { rateLimited: true, retryAfterMs: 5_000 });
      expect(state.snapshot("a")).toMatchObject({ state: "cooldown", cooldownRemainingMs: 5_000 });
      expect(state.tryAcquire("a", undefined)).toBe(false);
      expect(state.tryAcquire("b", undefined)).toBe(true);
      advance(4_999);
      expect(state.snapshot("a")).toMatchObject({ state: "cooldown", cooldownRemainingMs: 1 });
      expect(state.tryAcquire("a", undefined)).toBe(false);
      advance(1);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      expect(state.snapshot("a")).toMatchObject({ state: "active", cooldownRemainingMs: 0 });
      expect(changes).toEqual([
        { id: "a", from: "active", to: "cooldown", reason: "429 with Retry-After" },
        { id: "a", from: "cooldown", to: "active", reason: "cooldown over" },
      ]);
    });

    it("uses cooldown_seconds when there is no Retry-After", () => {
      const { state, advance, changes } = setup({ cooldown_seconds: 7 });
      state.failure("a", { rateLimited: true, retryAfterMs: undefined });
      expect(state.snapshot("a")).toMatchObject({ state: "cooldown", cooldownRemainingMs: 7_000 });
      advance(6_999);
      expect(state.tryAcquire("a", undefined)).toBe(false);
      advance(1);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      expect(changes.map((c) => c.reason)).toEqual(["429", "cooldown over"]);
    });

    it("does not count a 429 towards the circuit breaker", () => {
      const { state, advance } = setup();
      for (let i = 0; i < 6; i++) {
        state.failure("a", { rateLimited: true, retryAfterMs: 1 });
        advance(1);
      }
      expect(state.snapshot("a")).toMatchObject({ state: "active", consecutiveFailures: 0, failures: 6 });
    });
  });

  describe("circuit breaker", () => {
    it("opens after consecutive_failures in a row, not before", () => {
      const { state, changes } = setup();
      state.failure("a", FAIL);
      state.failure("a", FAIL);
      expect(state.snapshot("a")).toMatchObject({ state: "active", consecutiveFailures: 2 });
      state.failure("a", FAIL);
      expect(state.snapshot("a")).toMatchObject({ state: "open", consecutiveFailures: 3, cooldownRemainingMs: 60_000 });
      expect(state.tryAcquire("a", undefined)).toBe(false);
      expect(changes).toEqual([{ id: "a", from: "active", to: "open", reason: "3 consecutive failures" }]);
      expect(state.snapshot("b").state).toBe("active");
    });

    it("a success resets the run of failures", () => {
      const { state } = setup({ min_requests: 100 });
      state.failure("a", FAIL);
      state.failure("a", FAIL);
      state.success("a", undefined);
      state.failure("a", FAIL);
      state.failure("a", FAIL);
      expect(state.snapshot("a")).toMatchObject({ state: "active", consecutiveFailures: 2 });
    });

    it("opens on the failure rate over the window once min_requests outcomes are in", () => {
      const { state, changes } = setup({ consecutive_failures: 100 });
      state.failure("a", FAIL);
      state.success("a", undefined);
      state.failure("a", FAIL);
      state.failure("a", FAIL);
      // 3 of 4 failed (75%) but fewer than min_requests: stays active.
      expect(state.snapshot("a").state).toBe("active");
      state.failure("a", FAIL);
      expect(state.snapshot("a").state).toBe("open");
      expect(changes).toEqual([{ id: "a", from: "active", to: "open", reason: "failure rate 80% over 60s" }]);
    });

    it("does not open at exactly the failure rate (it must be above)", () => {
      const { state } = setup({ consecutive_failures: 100, min_requests: 4 });
      state.success("a", undefined);
      state.failure("a", FAIL);
      state.success("a", undefined);
      state.failure("a", FAIL);
      expect(state.snapshot("a").state).toBe("active");
      state.failure("a", FAIL);
      expect(state.snapshot("a").state).toBe("open");
    });

    it("forgets outcomes older than window_seconds", () => {
      const { state, advance } = setup({ consecutive_failures: 100, window_seconds: 10 });
      for (let i = 0; i < 4; i++) state.failure("a", FAIL);
      advance(10_001);
      state.failure("a", FAIL);
      expect(state.snapshot("a").state).toBe("active");
      for (let i = 0; i < 3; i++) state.failure("a", FAIL);
      expect(state.snapshot("a").state).toBe("active");
      state.failure("a", FAIL);
      expect(state.snapshot("a").state).toBe("open");
    });

    it("goes half-open after the open duration and lets exactly one probe through", () => {
      const { state, advance, changes } = setup();
      trip(state);
      advance(59_999);
      expect(state.snapshot("a")).toMatchObject({ state: "open", cooldownRemainingMs: 1 });
      expect(state.tryAcquire("a", undefined)).toBe(false);
      advance(1);
      expect(state.snapshot("a")).toMatchObject({ state: "half_open", cooldownRemainingMs: 0 });
      expect(state.tryAcquire("a", undefined)).toBe(true);
      expect(state.tryAcquire("a", undefined)).toBe(false);
      expect(state.tryAcquire("a", undefined)).toBe(false);
      expect(state.snapshot("a").inFlight).toBe(1);
      expect(changes.at(-1)).toEqual({ id: "a", from: "open", to: "half_open", reason: "probe allowed" });
    });

    it("a successful probe makes it active and resets the open duration", () => {
      const { state, advance, changes } = setup();
      trip(state);
      // Fail two probes first so the open duration has grown to 240 s.
      for (const ms of [60_000, 120_000]) {
        advance(ms);
        expect(state.tryAcquire("a", undefined)).toBe(true);
        state.failure("a", FAIL);
        state.release("a");
      }
      expect(state.snapshot("a").cooldownRemainingMs).toBe(240_000);
      advance(240_000);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      state.success("a", 100);
      state.release("a");
      expect(state.snapshot("a")).toMatchObject({ state: "active", consecutiveFailures: 0, inFlight: 0 });
      expect(changes.at(-1)).toEqual({ id: "a", from: "half_open", to: "active", reason: "probe succeeded" });
      expect(state.tryAcquire("a", undefined)).toBe(true);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      // Back to the base duration the next time it opens.
      trip(state);
      expect(state.snapshot("a")).toMatchObject({ state: "open", cooldownRemainingMs: 60_000 });
    });

    it("a failed probe opens again for twice as long, up to max_open_seconds", () => {
      const { state, advance, changes } = setup();
      trip(state);
      const durations: number[] = [];
      let wait = 60_000;
      for (let i = 0; i < 5; i++) {
        advance(wait);
        expect(state.tryAcquire("a", undefined)).toBe(true);
        state.failure("a", FAIL);
        state.release("a");
        const snap = state.snapshot("a");
        expect(snap.state).toBe("open");
        wait = snap.cooldownRemainingMs;
        durations.push(wait);
      }
      expect(durations).toEqual([120_000, 240_000, 300_000, 300_000, 300_000]);
      expect(changes.filter((c) => c.reason === "probe failed")).toHaveLength(5);
      expect(changes.filter((c) => c.reason === "probe failed").every((c) => c.from === "half_open" && c.to === "open")).toBe(true);
    });

    it("release() during half-open frees the probe slot", () => {
      const { state, advance } = setup();
      trip(state);
      advance(60_000);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      expect(state.tryAcquire("a", undefined)).toBe(false);
      state.release("a"); // the probe ended without a verdict (client went away)
      expect(state.snapshot("a")).toMatchObject({ state: "half_open", inFlight: 0 });
      expect(state.tryAcquire("a", undefined)).toBe(true);
      expect(state.tryAcquire("a", undefined)).toBe(false);
    });

    it("a 429 on the probe cools down instead and frees the probe slot", () => {
      const { state, advance } = setup();
      trip(state);
      advance(60_000);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      state.failure("a", { rateLimited: true, retryAfterMs: 1_000 });
      expect(state.snapshot("a")).toMatchObject({ state: "cooldown", cooldownRemainingMs: 1_000 });
      advance(1_000);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      expect(state.tryAcquire("a", undefined)).toBe(true);
    });
  });

  describe("refused credentials", () => {
    const REFUSED = { rateLimited: false, retryAfterMs: undefined, credentialsRefused: true };

    it("open the circuit at once, for max_open_seconds; the probe after it decides; a success resets the open time", () => {
      const { state, changes, advance } = setup();
      state.failure("a", REFUSED);
      expect(state.snapshot("a")).toMatchObject({ state: "open", cooldownRemainingMs: 300_000, consecutiveFailures: 1 });
      expect(changes).toEqual([{ id: "a", from: "active", to: "open", reason: CREDENTIALS_REFUSED }]);
      advance(299_999);
      expect(state.tryAcquire("a", undefined)).toBe(false);
      advance(1);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      // The key is still wrong: open again, still for the longest time.
      state.failure("a", REFUSED);
      expect(state.snapshot("a")).toMatchObject({ state: "open", cooldownRemainingMs: 300_000 });
      advance(300_000);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      state.success("a", 10);
      expect(state.snapshot("a").state).toBe("active");
      // Fixed: an ordinary breaker trip is back to cooldown_seconds.
      trip(state);
      expect(state.snapshot("a")).toMatchObject({ state: "open", cooldownRemainingMs: 60_000 });
    });
  });

  describe("concurrency", () => {
    it("refuses at max_concurrency and admits again after release", () => {
      const { state } = setup();
      expect(state.tryAcquire("a", 2)).toBe(true);
      expect(state.tryAcquire("a", 2)).toBe(true);
      expect(state.tryAcquire("a", 2)).toBe(false);
      expect(state.snapshot("a")).toMatchObject({ inFlight: 2, requests: 2 });
      state.release("a");
      expect(state.tryAcquire("a", 2)).toBe(true);
      expect(state.snapshot("a")).toMatchObject({ inFlight: 2, requests: 3 });
    });

    it("has no limit when max_concurrency is undefined", () => {
      const { state } = setup();
      for (let i = 0; i < 1_000; i++) expect(state.tryAcquire("a", undefined)).toBe(true);
      expect(state.snapshot("a").inFlight).toBe(1_000);
    });

    it("never lets inFlight go below zero", () => {
      const { state } = setup();
      state.release("a");
      state.release("a");
      expect(state.snapshot("a").inFlight).toBe(0);
      expect(state.tryAcquire("a", 1)).toBe(true);
      expect(state.tryAcquire("a", 1)).toBe(false);
    });

    it("forceAcquire counts a request whatever the state", () => {
      const { state } = setup();
      trip(state);
      expect(state.tryAcquire("a", undefined)).toBe(false);
      state.forceAcquire("a");
      state.forceAcquire("a");
      expect(state.snapshot("a")).toMatchObject({ state: "open", inFlight: 2, requests: 2 });
    });
  });

  describe("active health checks", () => {
    it("probed(false) makes it unhealthy until probed(true)", () => {
      const { state, advance, changes } = setup();
      state.probed("a", false);
      expect(state.snapshot("a")).toMatchObject({ state: "unhealthy", cooldownRemainingMs: 0 });
      expect(state.tryAcquire("a", undefined)).toBe(false);
      state.probed("a", false);
      advance(3_600_000); // unhealthy does not expire by itself
      expect(state.tryAcquire("a", undefined)).toBe(false);
      state.probed("a", true);
      expect(state.snapshot("a").state).toBe("active");
      expect(state.tryAcquire("a", undefined)).toBe(true);
      state.probed("a", true);
      expect(changes).toEqual([
        { id: "a", from: "active", to: "unhealthy", reason: "health check failed" },
        { id: "a", from: "unhealthy", to: "active", reason: "health check passed" },
      ]);
    });

    it("probed(true) does not cut short a cooldown or an open circuit", () => {
      const { state } = setup();
      state.failure("a", { rateLimited: true, retryAfterMs: 10_000 });
      state.probed("a", true);
      expect(state.snapshot("a").state).toBe("cooldown");
      trip(state, "b");
      state.probed("b", true);
      expect(state.snapshot("b").state).toBe("open");
    });
  });

  describe("snapshot", () => {
    it("reports counters and the success rate", () => {
      const { state } = setup({ min_requests: 100, consecutive_failures: 100 });
      for (let i = 0; i < 4; i++) expect(state.tryAcquire("a", undefined)).toBe(true);
      state.success("a", undefined);
      state.success("a", undefined);
      state.success("a", undefined);
      state.failure("a", FAIL);
      expect(state.snapshot("a")).toMatchObject({ requests: 4, successes: 3, failures: 1, successRate: 0.75, consecutiveFailures: 1 });
    });

    it("keeps an EWMA of time to first byte with alpha 0.3, rounded", () => {
      const { state } = setup();
      state.success("a", undefined);
      expect(state.snapshot("a").latencyEwmaMs).toBeNull();
      state.success("a", 100);
      expect(state.snapshot("a").latencyEwmaMs).toBe(100);
      state.success("a", 200); // 0.3·200 + 0.7·100 = 130
      expect(state.snapshot("a").latencyEwmaMs).toBe(130);
      state.success("a", undefined); // no measurement: unchanged
      expect(state.snapshot("a").latencyEwmaMs).toBe(130);
      state.success("a", 101); // 30.3 + 91 = 121.3
      expect(state.snapshot("a").latencyEwmaMs).toBe(121);
      state.success("a", 125); // 37.5 + 84.91 = 122.41
      expect(state.snapshot("a").latencyEwmaMs).toBe(122);
    });

    it("counts cooldownRemainingMs down with the clock", () => {
      const { state, advance } = setup();
      state.failure("a", { rateLimited: true, retryAfterMs: 30_000 });
      advance(12_345);
      expect(state.snapshot("a").cooldownRemainingMs).toBe(17_655);
      advance(17_655);
      expect(state.snapshot("a").cooldownRemainingMs).toBe(0);
    });
  });

  it("keeps a round-robin cursor per route key", () => {
    const { state } = setup();
    expect([state.nextCursor("r0"), state.nextCursor("r0"), state.nextCursor("r1"), state.nextCursor("r0"), state.nextCursor("r1")]).toEqual([0, 1, 0, 2, 1]);
  });

  it("reset() forgets everything but requests in flight", () => {
    const { state, advance, changes } = setup();
    state.success("a", 50);
    expect(state.tryAcquire("a", undefined)).toBe(true);
    trip(state);
    advance(60_000);
    expect(state.tryAcquire("a", undefined)).toBe(true);
    state.failure("a", FAIL); // open again, now for 120 s
    state.failure("b", { rateLimited: true, retryAfterMs: 10_000 });
    state.nextCursor("r");
    state.nextCursor("r");
    changes.length = 0;

    state.reset();
    expect(state.snapshot("a")).toEqual({
      id: "a",
      state: "active",
      inFlight: 2,
      requests: 0,
      successes: 0,
      failures: 0,
      successRate: null,
      latencyEwmaMs: null,
      cooldownRemainingMs: 0,
      consecutiveFailures: 0,
    });
    expect(state.snapshot("b").state).toBe("active");
    expect(state.nextCursor("r")).toBe(0);
    expect(changes).toEqual([
      { id: "a", from: "open", to: "active", reason: "reset" },
      { id: "b", from: "cooldown", to: "active", reason: "reset" },
    ]);
    // The open duration is back at its base too.
    trip(state);
    expect(state.snapshot("a").cooldownRemainingMs).toBe(60_000);
  });

  it("reports every transition to onChange with from, to and reason", () => {
    const { state, advance, changes } = setup();
    trip(state);
    advance(60_000);
    state.tryAcquire("a", undefined);
    state.success("a", 10);
    state.release("a");
    state.failure("a", { rateLimited: true, retryAfterMs: 1_000 });
    advance(1_000);
    state.snapshot("a");
    state.probed("a", false);
    state.probed("a", true);
    expect(changes).toEqual([
      { id: "a", from: "active", to: "open", reason: "3 consecutive failures" },
      { id: "a", from: "open", to: "half_open", reason: "probe allowed" },
      { id: "a", from: "half_open", to: "active", reason: "probe succeeded" },
      { id: "a", from: "active", to: "cooldown", reason: "429 with Retry-After" },
      { id: "a", from: "cooldown", to: "active", reason: "cooldown over" },
      { id: "a", from: "active", to: "unhealthy", reason: "health check failed" },
      { id: "a", from: "unhealthy", to: "active", reason: "health check passed" },
    ]);
  });

  describe("as a shared state's mirror", () => {
    it("view() is what replicas share: state, time left, open duration, counters, EWMA", () => {
      const { state, advance } = setup();
      state.tryAcquire("a", undefined);
      state.success("a", 80);
      state.release("a");
      trip(state);
      advance(10_000);
      expect(state.view("a")).toEqual({ state: "open", remainingMs: 50_000, openMs: 60_000, consecutive: 3, requests: 1, successes: 1, failures: 3, ewma: 80 });
      expect(state.view("b")).toMatchObject({ state: "active", remainingMs: 0 });
    });

    it("adopt() takes the fleet's word, keeps the local in-flight count, and reports who moved it", () => {
      const { state, changes, advance } = setup();
      expect(state.tryAcquire("a", undefined)).toBe(true);
      state.adopt(
        "a",
        { state: "cooldown", remainingMs: 2_000, openMs: 60_000, consecutive: 0, requests: 9, successes: 7, failures: 2, ewma: 42 },
        "429 with Retry-After",
        "replica-2",
      );
      expect(changes.at(-1)).toEqual({ id: "a", from: "active", to: "cooldown", reason: "429 with Retry-After", origin: "replica-2" });
      expect(state.snapshot("a")).toMatchObject({
        state: "cooldown",
        inFlight: 1,
        requests: 9,
        successes: 7,
        failures: 2,
        latencyEwmaMs: 42,
        cooldownRemainingMs: 2_000,
      });
      expect(state.tryAcquire("a", undefined)).toBe(false);
      // The adopted deadline runs on the local clock like any other.
      advance(2_000);
      expect(state.snapshot("a").state).toBe("active");
      // Adopting the same state again reports nothing.
      const n = changes.length;
      state.adopt("a", state.view("a"), "fleet state");
      expect(changes).toHaveLength(n);
    });

    it("adopting another state ends a local half-open probe", () => {
      const { state, advance } = setup();
      trip(state);
      advance(60_000);
      expect(state.tryAcquire("a", undefined)).toBe(true);
      state.adopt("a", { ...state.view("a"), state: "open", remainingMs: 1_000 }, "probe failed", "fleet");
      advance(1_000);
      expect(state.tryAcquire("a", undefined)).toBe(true);
    });

    it("keeps run-time strategies per route, replaced wholesale by the fleet's and cleared by reset", () => {
      const { state } = setup();
      expect(state.strategy("0")).toBeUndefined();
      state.setStrategy("0", "least_busy");
      state.setStrategy("-1", "cost");
      expect([state.strategy("0"), state.strategy("-1")]).toEqual(["least_busy", "cost"]);
      state.adoptStrategies(new Map([["1", "latency"]]));
      expect([state.strategy("0"), state.strategy("1")]).toEqual([undefined, "latency"]);
      state.reset();
      expect(state.strategy("1")).toBeUndefined();
    });
  });
});
