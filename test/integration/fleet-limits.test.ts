/**
 * Shared key limits and the replica list against the real Redis: several limiters in one process,
 * each with its own connection, as several replicas would have.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRedisLink, createRegistry, createSharedLimiter, type RedisLink, type SharedLimiter } from "../../src/fleet/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { dropPrefix, redisTarget, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

const RUN = await requireRedis();

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function link(url = TEST_REDIS_URL): Promise<RedisLink> {
  const l = createRedisLink({ url, timeoutMs: 200, outageMs: 5_000, logger: silentLogger(), pingMs: 200 });
  cleanup.push(() => l.close());
  await expect.poll(() => l.isUp()).toBe(true);
  return l;
}

async function limiters(n: number, slotTtlMs = 5_000, url?: (i: number) => string): Promise<{ prefix: string; all: SharedLimiter[]; links: RedisLink[] }> {
  const prefix = testPrefix("limits");
  cleanup.push(() => dropPrefix(prefix));
  const links = await Promise.all(Array.from({ length: n }, (_, i) => link(url?.(i))));
  const all = links.map((l, i) => createSharedLimiter({ link: l, prefix, replicaId: `r${i}`, slotTtlMs, now: () => performance.now() }));
  return { prefix, all, links };
}

describe.skipIf(!RUN)("shared key limits (real Redis)", () => {
  it("a key limited to 30 requests per minute gets exactly 30 across three replicas taking at once", async () => {
    const { all } = await limiters(3);
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => all[i % 3]!.takeRequest("team-a", 30)));
    expect(results.filter((r) => r.ok)).toHaveLength(30);
    const refused = results.find((r) => !r.ok);
    // The bucket refills half a token a second: the next one is about two seconds away.
    expect(refused).toMatchObject({ ok: false });
    if (refused && !refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(1_000);
    // Another key has its own budget.
    expect(await all[0]!.takeRequest("team-b", 30)).toEqual({ ok: true });
  });

  it("a concurrency limit holds across replicas; a closed slot is free again for any replica", async () => {
    const { all } = await limiters(3);
    const opened = await Promise.all(Array.from({ length: 9 }, (_, i) => all[i % 3]!.openStream("k", 4)));
    expect(opened.filter(Boolean)).toHaveLength(4);
    expect(await all[2]!.openStreams("k")).toBe(4);
    const holder = all[opened.findIndex(Boolean) % 3]!;
    holder.closeStream("k");
    await expect.poll(() => all[2]!.openStreams("k")).toBe(3);
    expect(await all[2]!.openStream("k", 4)).toBe(true);
    expect(await all[1]!.openStream("k", 4)).toBe(false);
  });

  it("slots of a replica that stopped heartbeating lapse after the TTL; a live holder's stay", async () => {
    const { all } = await limiters(2, 1_000);
    const [live, dead] = all as [SharedLimiter, SharedLimiter];
    expect(await live.openStream("k", 3)).toBe(true);
    expect(await dead.openStream("k", 3)).toBe(true);
    expect(await dead.openStream("k", 3)).toBe(true);
    expect(await live.openStream("k", 3)).toBe(false);
    const beat = setInterval(() => void live.refresh(), 250);
    cleanup.push(() => clearInterval(beat));
    const start = performance.now();
    // Lapsed after the TTL (1 s), not before half of it: the poll's ceiling is three of them.
    await expect.poll(() => live.openStreams("k"), { timeout: 3_000, interval: 50 }).toBe(1);
    expect(performance.now() - start).toBeGreaterThan(500);
    expect(await live.openStream("k", 3)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await live.openStreams("k")).toBe(2);
  });

  it("falls back to per-replica limits while Redis is unreachable, without waiting on it", async () => {
    const proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const { all, links } = await limiters(1, 5_000, () => proxy.url());
    const [l] = all as [SharedLimiter];
    expect(await l.takeRequest("k", 2)).toEqual({ ok: true });
    proxy.cut();
    await expect.poll(() => links[0]!.isUp()).toBe(false);
    const t = performance.now();
    // The local bucket starts full: this replica alone now allows the whole budget.
    expect(await l.takeRequest("k", 2)).toEqual({ ok: true });
    expect(await l.takeRequest("k", 2)).toEqual({ ok: true });
    expect((await l.takeRequest("k", 2)).ok).toBe(false);
    expect(await l.openStream("k", 1)).toBe(true);
    expect(await l.openStream("k", 1)).toBe(false);
    l.closeStream("k");
    expect(await l.openStream("k", 1)).toBe(true);
    // All of it in less than one Redis command timeout (200 ms): nothing waited on the cut Redis.
    expect(performance.now() - t).toBeLessThan(200);
  });

  it("on a saturated host (every Redis reply later than REDIS_TIMEOUT_MS, within REDIS_OUTAGE_MS) a key limit still holds fleet-wide", async () => {
    const proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const { all, links } = await limiters(3, 5_000, () => proxy.url());
    // Each reply now takes 2 × 300 ms, three times the 200 ms a request waits on an ordinary step.
    proxy.slow(300);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => all[i % 3]!.takeRequest("busy", 10)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const opened = await Promise.all(Array.from({ length: 9 }, (_, i) => all[i % 3]!.openStream("busy", 2)));
    expect(opened.filter(Boolean)).toHaveLength(2);
    // Slow is not down: no replica took itself off Redis.
    expect(links.map((l) => l.isUp())).toEqual([true, true, true]);
  });

  it("an ordinary step does not wait past REDIS_TIMEOUT_MS on a slow reply, and the link stays up", async () => {
    const proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const l = await link(proxy.url());
    proxy.slow(400);
    const r = await l.attempt("probe", (redis) => redis.ping());
    expect(r).toEqual({ ok: false });
    // The suspicion's PING answers within REDIS_OUTAGE_MS: still up, and a waiting step gets its reply.
    expect(await l.attempt("probe", (redis) => redis.ping(), { wait: "reply" })).toEqual({ ok: true, value: "PONG" });
    expect(l.isUp()).toBe(true);
  });
});

describe.skipIf(!RUN)("replica registry (real Redis)", () => {
  it("lists every live replica with its card, and forgets one that stops heartbeating within the TTL", async () => {
    const prefix = testPrefix("registry");
    cleanup.push(() => dropPrefix(prefix));
    const [l1, l2] = [await link(), await link()];
    // Listed oldest first: b started before a.
    const card = (id: string, pid: number) => ({ id, version: "1.2.3", started_at: `2026-01-01T00:00:0${3 - pid}.000Z`, host: "h", pid, worker: null });
    const a = createRegistry({ link: l1, prefix, info: card("a", 1), ttlMs: 1_000, inFlight: () => 3 });
    const b = createRegistry({ link: l2, prefix, info: card("b", 2), ttlMs: 1_000, inFlight: () => 5 });
    await a.heartbeat();
    await b.heartbeat();
    const seen = await a.members();
    expect(seen.map((m) => [m.id, m.self, m.in_flight])).toEqual([
      ["b", false, 5],
      ["a", true, 3],
    ]);
    expect(seen[0]).toMatchObject({ version: "1.2.3", host: "h", pid: 2, worker: null });
    expect(seen[0]!.last_seen_ms).toBeGreaterThanOrEqual(0);
    const beat = setInterval(() => void a.heartbeat(), 250);
    cleanup.push(() => clearInterval(beat));
    await expect.poll(async () => (await a.members()).map((m) => m.id), { timeout: 2_000, interval: 100 }).toEqual(["a"]);
    await b.heartbeat();
    await b.leave();
    expect((await a.members()).map((m) => m.id)).toEqual(["a"]);
  });

  it("without Redis the fleet is this replica alone", async () => {
    const r = createRegistry({
      link: undefined,
      prefix: "",
      info: { id: "solo", version: "v", started_at: "t", host: "h", pid: 1, worker: null },
      ttlMs: 1_000,
      inFlight: () => 2,
    });
    await r.heartbeat();
    expect(await r.members()).toEqual([
      { id: "solo", version: "v", started_at: "t", host: "h", pid: 1, worker: null, in_flight: 2, last_seen_ms: 0, self: true },
    ]);
  });
});
