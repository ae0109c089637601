/**
 * Shared routing state against the real Redis: two "replicas" in one process, each with its own
 * connection and mirror, under a prefix of their own. What one sees, the other must honour.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRedisLink, createRegistry, createSharedRoutingState, type RedisLink, type SharedRoutingState } from "../../src/fleet/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { CREDENTIALS_REFUSED, type HealthSettings, type StateChange } from "../../src/providers/index.js";
import { dropPrefix, redisTarget, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

const RUN = await requireRedis();

const HEALTH: HealthSettings = {
  cooldown_seconds: 0.4,
  failure_rate: 0.5,
  window_seconds: 60,
  min_requests: 5,
  consecutive_failures: 3,
  max_open_seconds: 5,
  probe_interval_seconds: 0,
  schema_failure_rate: 0.5,
  schema_window_seconds: 300,
  schema_min_requests: 5,
};
const FAIL = { rateLimited: false, retryAfterMs: undefined };

interface Replica {
  id: string;
  state: SharedRoutingState;
  link: RedisLink;
  changes: StateChange[];
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/**
 * `syncMs` defaults to a minute so only pub/sub can explain a change seen well before then: the
 * tests wait for it with `SEEN_MS`, a generous ceiling far below the sync period.
 */
const SEEN_MS = 10_000;
async function fleet(
  n: number,
  opts: { health?: Partial<HealthSettings>; url?: (i: number) => string; claimTtlMs?: number; syncMs?: number } = {},
): Promise<Replica[]> {
  const prefix = testPrefix("routing");
  cleanup.push(() => dropPrefix(prefix));
  const out: Replica[] = [];
  for (let i = 0; i < n; i++) {
    const id = `r${i}`;
    const link = createRedisLink({ url: opts.url?.(i) ?? TEST_REDIS_URL, timeoutMs: 200, logger: silentLogger(), pingMs: 200 });
    const changes: StateChange[] = [];
    const state = createSharedRoutingState({
      link,
      prefix,
      replicaId: id,
      ids: ["a", "b"],
      health: { ...HEALTH, ...opts.health },
      now: () => Date.now(),
      onChange: (c) => changes.push(c),
      logger: silentLogger(),
      claimTtlMs: opts.claimTtlMs ?? 5000,
      syncMs: opts.syncMs ?? 60_000,
    });
    const registry = createRegistry({
      link,
      prefix,
      info: { id, version: "t", started_at: new Date().toISOString(), host: "h", pid: i, worker: null },
      ttlMs: opts.claimTtlMs ?? 5000,
      inFlight: () => 0,
    });
    link.onUp(() => void registry.heartbeat());
    cleanup.push(async () => {
      state.stop();
      await link.close();
    });
    out.push({ id, state, link, changes });
  }
  await expect.poll(() => out.every((r) => r.link.isUp())).toBe(true);
  // Let the first re-sync (run on connect) settle before the test writes.
  await Promise.all(out.map((r) => r.state.resync(false)));
  return out;
}

/** Resolves with how long `cond` took to hold, polling every millisecond. */
async function within(cond: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
  return performance.now() - start;
}

describe.skipIf(!RUN)("shared routing state (real Redis)", () => {
  it("a 429 seen by one replica puts the provider in cooldown on the other (pub/sub, not the sync), with its Retry-After", async () => {
    const [a, b] = await fleet(2);
    const saw = performance.now();
    a!.state.failure("a", { rateLimited: true, retryAfterMs: 3_000 });
    await within(() => b!.state.snapshot("a").state === "cooldown", SEEN_MS);
    expect(b!.state.tryAcquire("a", undefined)).toBe(false);
    expect(b!.state.tryAcquire("b", undefined)).toBe(true);
    const remaining = b!.state.snapshot("a").cooldownRemainingMs;
    // The Retry-After's 3 s, counted from the 429 (not restarted when the word arrived).
    expect(remaining).toBeGreaterThan(3_000 - (performance.now() - saw) - 100);
    expect(remaining).toBeLessThanOrEqual(3_000);
    // The replica that saw it reports it as its own; the other names where it came from.
    expect(a!.changes).toContainEqual({ id: "a", from: "active", to: "cooldown", reason: "429 with Retry-After" });
    expect(b!.changes).toContainEqual({ id: "a", from: "active", to: "cooldown", reason: "429 with Retry-After", origin: "r0" });
  });

  it("refused credentials seen by one replica open the circuit on every replica at once, for max_open_seconds", async () => {
    const [a, b] = await fleet(2);
    a!.state.failure("a", { ...FAIL, credentialsRefused: true });
    await within(() => b!.state.snapshot("a").state === "open", SEEN_MS);
    expect(b!.state.tryAcquire("a", undefined)).toBe(false);
    // max_open_seconds is 5 here, cooldown_seconds 0.4: the long one applies.
    expect(b!.state.snapshot("a").cooldownRemainingMs).toBeGreaterThan(1_000);
    expect(a!.changes).toContainEqual({ id: "a", from: "active", to: "open", reason: CREDENTIALS_REFUSED });
    expect(b!.changes).toContainEqual({ id: "a", from: "active", to: "open", reason: CREDENTIALS_REFUSED, origin: "r0" });
  });

  it("failures from several replicas count in one window, and the circuit opens once", async () => {
    const replicas = await fleet(3, { health: { consecutive_failures: 100, min_requests: 4, failure_rate: 0.5 } });
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    a.state.success("a", 10);
    b.state.failure("a", FAIL);
    await within(() => b.state.snapshot("a").failures === 1, SEEN_MS);
    c.state.failure("a", FAIL);
    await within(() => c.state.snapshot("a").failures === 2, SEEN_MS);
    expect(a.state.snapshot("a").state).toBe("active");
    // 3 of 4 failed across three replicas; each alone saw at most one failure. Then a burst.
    await Promise.all(replicas.map(async (r) => r.state.failure("a", FAIL)));
    for (const r of replicas) await within(() => r.changes.some((x) => x.to === "open"), SEEN_MS);
    expect(a.state.extras("a").circuitOpens).toBe(1);
    const opened = replicas.flatMap((r) => r.changes.filter((x) => x.to === "open" && x.origin === undefined));
    expect(opened).toHaveLength(1);
    expect(opened[0]!.reason).toMatch(/^failure rate \d+% over 60s$/);
  });

  it("exactly one half-open probe fleet-wide; its verdict reaches every replica", async () => {
    const replicas = await fleet(3, { health: { consecutive_failures: 1 } });
    const [a, b] = replicas as [Replica, Replica, Replica];
    a.state.failure("a", FAIL);
    for (const r of replicas) await within(() => r.changes.some((x) => x.to === "open"), SEEN_MS);
    for (const r of replicas) await within(() => r.state.snapshot("a").state === "half_open", SEEN_MS);
    const claims = await Promise.all(replicas.flatMap((r) => Array.from({ length: 5 }, async () => r.state.tryAcquire("a", undefined))));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const holder = replicas[(claims.findIndex(Boolean) / 5) | 0]!;
    holder.state.success("a", 50);
    for (const r of replicas) await within(() => r.state.snapshot("a").state === "active", SEEN_MS);
    holder.state.release("a");
    expect(b.state.tryAcquire("a", undefined)).toBe(true);
  });

  it("a probe whose holder released without a verdict (client left) lets the next replica probe", async () => {
    const [a, b] = await fleet(2, { health: { consecutive_failures: 1, cooldown_seconds: 0.2 } });
    a!.state.failure("a", FAIL);
    await within(() => b!.state.snapshot("a").state === "half_open", SEEN_MS);
    await within(() => a!.state.snapshot("a").state === "half_open", SEEN_MS);
    expect(await a!.state.tryAcquire("a", undefined)).toBe(true);
    expect(await b!.state.tryAcquire("a", undefined)).toBe(false);
    a!.state.release("a");
    await expect.poll(() => b!.state.tryAcquire("a", undefined), { interval: 20 }).toBe(true);
  });

  it("a probe claim held by a replica that died lapses after the claim TTL", async () => {
    const [a, b] = await fleet(2, { health: { consecutive_failures: 1, cooldown_seconds: 0.2 }, claimTtlMs: 1_000 });
    a!.state.failure("a", FAIL);
    await within(() => a!.state.snapshot("a").state === "half_open", SEEN_MS);
    expect(await a!.state.tryAcquire("a", undefined)).toBe(true);
    // "Dies": no release, no verdict, no heartbeat.
    a!.state.stop();
    await a!.link.close();
    await within(() => b!.state.snapshot("a").state === "half_open", SEEN_MS);
    expect(await b!.state.tryAcquire("a", undefined)).toBe(false);
    // Lapses after the claim TTL (1 s): the poll's ceiling is three of them.
    await expect.poll(() => b!.state.tryAcquire("a", undefined), { timeout: 3_000, interval: 50 }).toBe(true);
  });

  it("a live holder keeps its probe claim past the TTL by refreshing it", async () => {
    const [a, b] = await fleet(2, { health: { consecutive_failures: 1, cooldown_seconds: 0.2 }, claimTtlMs: 600 });
    a!.state.failure("a", FAIL);
    await within(() => a!.state.snapshot("a").state === "half_open", SEEN_MS);
    expect(await a!.state.tryAcquire("a", undefined)).toBe(true);
    const beat = setInterval(() => void a!.state.refresh(), 150);
    cleanup.push(() => clearInterval(beat));
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await b!.state.tryAcquire("a", undefined)).toBe(false);
  });

  it("shares in-flight counts, latency estimates, counters and round-robin positions", async () => {
    const [a, b] = await fleet(2, { syncMs: 200 });
    expect(a!.state.tryAcquire("a", undefined)).toBe(true);
    expect(a!.state.tryAcquire("a", undefined)).toBe(true);
    a!.state.success("a", 100);
    await expect.poll(() => b!.state.snapshot("a")).toMatchObject({ inFlight: 2, requests: 2, successes: 1, latencyEwmaMs: 100 });
    // max_concurrency counts the whole fleet.
    expect(b!.state.tryAcquire("a", 2)).toBe(false);
    a!.state.release("a");
    a!.state.release("a");
    await expect.poll(() => b!.state.snapshot("a").inFlight).toBe(0);
    expect(b!.state.tryAcquire("a", 2)).toBe(true);

    // Positions come from one counter: taken turn about, no replica repeats another's. After each
    // take, a round trip on the same connection (answered in order, twice in case the script had to
    // be loaded) lets the prefetch land: a loaded machine must not turn this into a race with Redis.
    const settle = async (r: Replica) => {
      for (let i = 0; i < 2; i++) await r.link.attempt("test", (c) => c.ping());
      await new Promise((done) => setImmediate(done));
    };
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = (i % 2 === 0 ? a : b)!;
      seen.push(r.state.nextCursor("chat:0"));
      await settle(r);
    }
    const fromFleet = seen.slice(4);
    expect(new Set(fromFleet).size).toBe(fromFleet.length);
  });

  it("a strategy switched on one replica applies on the others; reset clears it everywhere", async () => {
    const [a, b] = await fleet(2);
    a!.state.setStrategy("0", "least_busy");
    await within(() => b!.state.strategy("0") === "least_busy", SEEN_MS);
    b!.state.failure("a", { rateLimited: true, retryAfterMs: 5_000 });
    await within(() => a!.state.snapshot("a").state === "cooldown", SEEN_MS);
    a!.state.reset();
    await within(() => b!.state.snapshot("a").state === "active" && b!.state.strategy("0") === undefined, SEEN_MS);
  });
});

describe.skipIf(!RUN)("shared routing state when Redis goes away", () => {
  let proxy: TcpProxy;

  it("serves from local state without waiting, then shares what it learned alone when Redis returns", async () => {
    proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const [a, b] = await fleet(2, { url: (i) => (i === 0 ? proxy.url() : TEST_REDIS_URL) });
    proxy.cut();
    await expect.poll(() => a!.link.isUp()).toBe(false);
    // No Redis round trip: answered on the spot.
    expect(a!.state.tryAcquire("a", undefined)).toBe(true);
    a!.state.release("a");
    a!.state.failure("a", { rateLimited: true, retryAfterMs: 4_000 });
    expect(a!.state.snapshot("a").state).toBe("cooldown");
    expect(b!.state.snapshot("a").state).toBe("active");

    proxy.restore();
    await expect.poll(() => a!.link.isUp()).toBe(true);
    await within(() => b!.state.snapshot("a").state === "cooldown", SEEN_MS);
    // And the shared path works again: b's word reaches a.
    b!.state.failure("b", { rateLimited: true, retryAfterMs: 4_000 });
    await within(() => a!.state.snapshot("b").state === "cooldown", SEEN_MS);
  });

  // A saturated machine answers late, not never: every reply later than the short step deadline
  // (200 ms here) must not send each replica to its local state, where each would grant itself
  // the probe. (A loaded run of the suite saw three probes of fifteen claims.)
  it("replies later than the step deadline still grant exactly one half-open probe fleet-wide", async () => {
    proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const replicas = await fleet(3, { url: () => proxy.url(), health: { consecutive_failures: 1 } });
    replicas[0]!.state.failure("a", FAIL);
    for (const r of replicas) await within(() => r.state.snapshot("a").state === "half_open", SEEN_MS);
    proxy.slow(250);
    const claims = await Promise.all(replicas.flatMap((r) => Array.from({ length: 5 }, async () => r.state.tryAcquire("a", undefined))));
    proxy.slow(0);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(replicas.every((r) => r.link.isUp())).toBe(true);
  });

  it("a Redis that stops answering (partition) is given up on within the timeout, and requests never wait after that", async () => {
    proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const [a] = await fleet(1, { url: () => proxy.url(), health: { consecutive_failures: 1, cooldown_seconds: 0.05 } });
    proxy.blackhole();
    a!.state.failure("a", FAIL);
    await expect.poll(() => a!.link.isUp()).toBe(false);
    // The failed write fell back to local state.
    await within(() => a!.state.snapshot("a").state !== "active", SEEN_MS);
    await within(() => a!.state.snapshot("a").state === "half_open", SEEN_MS);
    const t = performance.now();
    expect(await a!.state.tryAcquire("a", undefined)).toBe(true);
    // Less than one Redis command timeout (200 ms): it did not wait on the partitioned Redis.
    expect(performance.now() - t).toBeLessThan(200);
    proxy.restore();
    await expect.poll(() => a!.link.isUp()).toBe(true);
  });
});
