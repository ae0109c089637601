/**
 * The resumable-stream event log: one contract, two stores. The memory log is read where it was
 * written; the Redis log is also read from another "replica" (its own connection and memory).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createMemoryEventLog,
  createRedisEventLog,
  createRedisLink,
  EventsLostError,
  fleetKeys,
  type EventLog,
  type EventLogOptions,
  type LoggedMessage,
} from "../../src/fleet/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { dropPrefix, redisTarget, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

const RUN = await requireRedis();

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A writer and a reader; `other` is false when the reader is the writer's own replica. */
type Pair = { writer: EventLog; reader: EventLog };
type Opts = Partial<EventLogOptions> & { graceMs: number };
type Factory = (opts: Opts) => Promise<Pair>;

/** Budgets large enough not to matter, unless a test sets them. */
const full = (o: Opts): EventLogOptions => ({ maxBytesPerRequest: 1 << 20, maxTotalBytes: 1 << 24, ...o });

const memory: Factory = async (opts) => {
  const log = createMemoryEventLog(full(opts));
  cleanup.push(() => log.close());
  return { writer: log, reader: log };
};

async function redisLog(prefix: string, opts: Opts, url = TEST_REDIS_URL): Promise<EventLog> {
  const link = createRedisLink({ url, timeoutMs: 200, logger: silentLogger(), pingMs: 200 });
  await expect.poll(() => link.isUp()).toBe(true);
  const log = createRedisEventLog({ ...full(opts), link, prefix });
  cleanup.push(async () => {
    await log.close();
    await link.close();
  });
  return log;
}

/** A Redis log whose writer reaches Redis through a TCP proxy the test can slow or cut, and a reader that does not. */
async function writerBehindProxy(): Promise<Pair & { proxy: TcpProxy }> {
  const prefix = testPrefix("events");
  cleanup.push(() => dropPrefix(prefix));
  const proxy = await startTcpProxy(redisTarget());
  cleanup.push(() => proxy.close());
  return { proxy, writer: await redisLog(prefix, { graceMs: 5_000 }, proxy.url()), reader: await redisLog(prefix, { graceMs: 5_000 }) };
}

const redis: Factory = async (opts) => {
  const prefix = testPrefix("events");
  cleanup.push(() => dropPrefix(prefix));
  return { writer: await redisLog(prefix, opts), reader: await redisLog(prefix, opts) };
};

/** Message n, as the stream edge keeps it (the data line includes a line break, kept exactly). */
const msg = (n: number): LoggedMessage => ({ id: n, event: "output.delta", data: `{"text":"part ${n} \\n"}` });
const meta = (owner: string) => ({ owner, instance: "replica-a" });

async function collect(it: AsyncIterable<LoggedMessage>, onEach?: (e: LoggedMessage) => void): Promise<LoggedMessage[]> {
  const out: LoggedMessage[] = [];
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
      await writer.open("req-1", meta("team-a"));
      for (let i = 1; i <= 5; i++) writer.append("req-1", msg(i));
      await expect.poll(() => reader.read("req-1", 0).then((x) => x.length)).toBe(5);
      expect(await reader.meta("req-1").then((m) => m?.owner)).toBe("team-a");
      expect((await reader.read("req-1", 3)).map((e) => e.id)).toEqual([4, 5]);

      const seen: number[] = [];
      const followed = collect(reader.follow("req-1", 2, new AbortController().signal), (e) => seen.push(e.id));
      await expect.poll(() => seen.length).toBe(3);
      for (let i = 6; i <= 9; i++) writer.append("req-1", msg(i));
      writer.finish("req-1");
      const got = await followed;
      expect(got.map((e) => e.id)).toEqual([3, 4, 5, 6, 7, 8, 9]);
      expect(got).toEqual([3, 4, 5, 6, 7, 8, 9].map(msg));
    });

    it("a follower stops when its signal aborts", async () => {
      const { writer, reader } = await make({ graceMs: 5_000 });
      await writer.open("req-2", meta("k"));
      writer.append("req-2", msg(1));
      const ac = new AbortController();
      const followed = collect(reader.follow("req-2", 0, ac.signal), () => ac.abort());
      expect((await followed).map((e) => e.id)).toEqual([1]);
    });

    it("a log over its byte budget ends lost: the writer is told at once, a reader is told, never handed a hole", async () => {
      const size = msg(1).data.length + msg(1).event!.length + 16;
      const { writer, reader } = await make({ graceMs: 5_000, maxBytesPerRequest: size * 3 });
      await writer.open("req-3", meta("k"));
      const kept = [1, 2, 3, 4, 5].map((i) => writer.append("req-3", msg(i)));
      expect(kept).toEqual([true, true, true, false, false]);
      writer.finish("req-3");
      await expect
        .poll(() =>
          reader.read("req-3", 0).then(
            () => "read",
            (e: unknown) => e,
          ),
        )
        .toBeInstanceOf(EventsLostError);
      await expect(collect(reader.follow("req-3", 0, new AbortController().signal))).rejects.toBeInstanceOf(EventsLostError);
    });

    it("a log is opened once: a second open of the same id is refused and the owner stays", async () => {
      const { writer, reader } = await make({ graceMs: 5_000 });
      expect(await writer.open("req-5", meta("team-a"))).toBe(true);
      expect(await writer.open("req-5", meta("team-b"))).toBe(false);
      await expect.poll(() => reader.meta("req-5")).toEqual({ owner: "team-a", instance: "replica-a" });
    });

    it("a follower of a quiet log whose replica stopped is told within the alive check", async () => {
      const { writer, reader } = await make({ graceMs: 30_000, aliveCheckMs: 100 });
      await writer.open("req-6", meta("k"));
      writer.append("req-6", msg(1));
      let alive = true;
      const seen: number[] = [];
      const followed = collect(
        reader.follow("req-6", 0, new AbortController().signal, async () => alive),
        (e) => seen.push(e.id),
      );
      await expect.poll(() => seen).toEqual([1]);
      alive = false;
      await expect(followed).rejects.toThrow(/replica running it stopped/);
    });

    it("a finished request's events lapse after the grace period", async () => {
      const { writer, reader } = await make({ graceMs: 300 });
      await writer.open("req-4", meta("k"));
      writer.append("req-4", msg(1));
      writer.finish("req-4");
      await expect.poll(() => reader.meta("req-4").then((m) => m?.owner)).toBe("k");
      await expect.poll(() => reader.meta("req-4").then((m) => m?.owner)).toBeUndefined();
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
    await writer.open("slow", meta("k"));
    writer.append("slow", msg(1));
    // A long silence (slow reasoning) longer than the grace period.
    await new Promise((r) => setTimeout(r, 1_000));
    writer.append("slow", msg(2));
    await expect.poll(() => reader.read("slow", 0).then((x) => x.map((e) => e.id))).toEqual([1, 2]);
    const link = createRedisLink({ url: TEST_REDIS_URL, timeoutMs: 200, logger: silentLogger() });
    cleanup.push(() => link.close());
    await expect.poll(() => link.isUp()).toBe(true);
    const ttl = await link.client.pttl(fleetKeys(prefix).events("slow"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(400);
  });

  it("on a saturated host (every Redis reply later than REDIS_TIMEOUT_MS, within REDIS_OUTAGE_MS) a reader elsewhere gets every event: late is not lost", async () => {
    const { proxy, writer, reader } = await writerBehindProxy();
    // Each reply now takes 2 × 300 ms, three times the 200 ms an ordinary step waits.
    proxy.slow(300);
    expect(await writer.open("busy", meta("k"))).toBe(true);
    for (let i = 1; i <= 3; i++) writer.append("busy", msg(i));
    writer.finish("busy");
    const events = await collect(reader.follow("busy", 0, new AbortController().signal));
    expect(events.map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it("a reader elsewhere is told, not left hanging, when the writer lost Redis mid-request", async () => {
    const { proxy, writer, reader } = await writerBehindProxy();
    await writer.open("cut", meta("k"));
    writer.append("cut", msg(1));
    const seen: number[] = [];
    const followed = collect(reader.follow("cut", 0, new AbortController().signal), (e) => seen.push(e.id));
    await expect.poll(() => seen).toEqual([1]);
    proxy.cut();
    writer.append("cut", msg(2));
    // The writer's own replica still has every event.
    expect((await writer.read("cut", 0)).map((e) => e.id)).toEqual([1, 2]);
    proxy.restore();
    writer.append("cut", msg(3));
    writer.finish("cut");
    await expect(followed).rejects.toBeInstanceOf(EventsLostError);
    expect(seen).toEqual([1]);
  });
});
