/**
 * The resumable-stream event log: one contract, two stores. The memory log is read where it was
 * written; the Redis log is also read from another "replica" (its own connection and memory).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryEventLog, createRedisEventLog, createRedisLink, EventsLostError, fleetKeys, type EventLog, type LoggedEvent } from "../../src/fleet/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { dropPrefix, redisTarget, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

const RUN = await requireRedis();

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A writer and a reader; `other` is false when the reader is the writer's own replica. */
type Pair = { writer: EventLog; reader: EventLog };
type Factory = (opts: { graceMs: number; maxEvents?: number }) => Promise<Pair>;

const memory: Factory = async (opts) => {
  const log = createMemoryEventLog(opts);
  cleanup.push(() => log.close());
  return { writer: log, reader: log };
};

async function redisLog(prefix: string, opts: { graceMs: number; maxEvents?: number }, url = TEST_REDIS_URL): Promise<EventLog> {
  const link = createRedisLink({ url, timeoutMs: 200, logger: silentLogger(), pingMs: 200 });
  await expect.poll(() => link.isUp(), { timeout: 5_000 }).toBe(true);
  const log = createRedisEventLog({ ...opts, link, prefix });
  cleanup.push(async () => {
    await log.close();
    await link.close();
  });
  return log;
}

const redis: Factory = async (opts) => {
  const prefix = testPrefix("events");
  cleanup.push(() => dropPrefix(prefix));
  return { writer: await redisLog(prefix, opts), reader: await redisLog(prefix, opts) };
};

const frame = (n: number) => `id: ${n}\nevent: output.delta\ndata: {"text":"part ${n} "}\n\n`;

async function collect(it: AsyncIterable<LoggedEvent>, onEach?: (e: LoggedEvent) => void): Promise<LoggedEvent[]> {
  const out: LoggedEvent[] = [];
  for await (const e of it) {
    out.push(e);
    onEach?.(e);
  }
  return out;
}

const contract = (name: string, make: Factory, skip: boolean) =>
  describe.skipIf(skip)(`event log: ${name}`, () => {
    it("a reader after id k gets every later event exactly once, then the live rest, then ends at finish", async () => {
      const { writer, reader } = await make({ graceMs: 5_000 });
      await writer.open("req-1", "team-a");
      for (let i = 1; i <= 5; i++) writer.append("req-1", i, frame(i));
      await expect.poll(() => reader.read("req-1", 0).then((x) => x.length)).toBe(5);
      expect(await reader.owner("req-1")).toBe("team-a");
      expect((await reader.read("req-1", 3)).map((e) => e.id)).toEqual([4, 5]);

      const seen: number[] = [];
      const followed = collect(reader.follow("req-1", 2, new AbortController().signal), (e) => seen.push(e.id));
      await expect.poll(() => seen.length).toBe(3);
      for (let i = 6; i <= 9; i++) writer.append("req-1", i, frame(i));
      writer.finish("req-1");
      const got = await followed;
      expect(got.map((e) => e.id)).toEqual([3, 4, 5, 6, 7, 8, 9]);
      expect(got.map((e) => e.frame).join("")).toBe([3, 4, 5, 6, 7, 8, 9].map(frame).join(""));
    });

    it("a follower stops when its signal aborts", async () => {
      const { writer, reader } = await make({ graceMs: 5_000 });
      await writer.open("req-2", "k");
      writer.append("req-2", 1, frame(1));
      const ac = new AbortController();
      const followed = collect(reader.follow("req-2", 0, ac.signal), () => ac.abort());
      expect((await followed).map((e) => e.id)).toEqual([1]);
    });

    it("says so when the events a reader needs were dropped (bounded log)", async () => {
      const { writer, reader } = await make({ graceMs: 5_000, maxEvents: 3 });
      await writer.open("req-3", "k");
      for (let i = 1; i <= 6; i++) writer.append("req-3", i, frame(i));
      writer.finish("req-3");
      await expect.poll(() => reader.read("req-3", 3).then((x) => x.map((e) => e.id))).toEqual([4, 5, 6]);
      await expect(reader.read("req-3", 1)).rejects.toBeInstanceOf(EventsLostError);
      await expect(collect(reader.follow("req-3", 0, new AbortController().signal))).rejects.toBeInstanceOf(EventsLostError);
    });

    it("a finished request's events lapse after the grace period", async () => {
      const { writer, reader } = await make({ graceMs: 300 });
      await writer.open("req-4", "k");
      writer.append("req-4", 1, frame(1));
      writer.finish("req-4");
      await expect.poll(() => reader.owner("req-4")).toBe("k");
      await expect.poll(() => reader.owner("req-4"), { timeout: 2_000 }).toBeUndefined();
      expect(await reader.read("req-4", 0)).toEqual([]);
    });
  });

contract("memory", memory, false);
contract("Redis Streams, read from another replica", redis, !RUN);

describe.skipIf(!RUN)("event log: Redis specifics", () => {
  it("keeps a running request's stream alive past the grace period, with a TTL of at most the grace", async () => {
    const prefix = testPrefix("events");
    cleanup.push(() => dropPrefix(prefix));
    const writer = await redisLog(prefix, { graceMs: 400 });
    const reader = await redisLog(prefix, { graceMs: 400 });
    await writer.open("slow", "k");
    writer.append("slow", 1, frame(1));
    // A long silence (slow reasoning) longer than the grace period.
    await new Promise((r) => setTimeout(r, 1_000));
    writer.append("slow", 2, frame(2));
    await expect.poll(() => reader.read("slow", 0).then((x) => x.map((e) => e.id))).toEqual([1, 2]);
    const link = createRedisLink({ url: TEST_REDIS_URL, timeoutMs: 200, logger: silentLogger() });
    cleanup.push(() => link.close());
    await expect.poll(() => link.isUp()).toBe(true);
    const ttl = await link.client.pttl(fleetKeys(prefix).events("slow"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(400);
  });

  it("a reader elsewhere is told, not left hanging, when the writer lost Redis mid-request", async () => {
    const prefix = testPrefix("events");
    cleanup.push(() => dropPrefix(prefix));
    const proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const writer = await redisLog(prefix, { graceMs: 5_000 }, proxy.url());
    const reader = await redisLog(prefix, { graceMs: 5_000 });
    await writer.open("cut", "k");
    writer.append("cut", 1, frame(1));
    const seen: number[] = [];
    const followed = collect(reader.follow("cut", 0, new AbortController().signal), (e) => seen.push(e.id));
    await expect.poll(() => seen).toEqual([1]);
    proxy.cut();
    writer.append("cut", 2, frame(2));
    // The writer's own replica still has every event.
    expect((await writer.read("cut", 0)).map((e) => e.id)).toEqual([1, 2]);
    proxy.restore();
    writer.append("cut", 3, frame(3));
    writer.finish("cut");
    await expect(followed).rejects.toBeInstanceOf(EventsLostError);
    expect(seen).toEqual([1]);
  });
});
