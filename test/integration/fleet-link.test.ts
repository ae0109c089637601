// The Redis link's own connections through a proxy we can break at one step (the shared Redis is
// never stopped): what a flapping network does to the subscriber.
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createRedisLink } from "../../src/fleet/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { redisTarget, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

const RUN = await requireRedis();

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe.skipIf(!RUN)("the Redis link (real Redis)", () => {
  it("resubscribes after a reconnect, and a connection lost while it subscribes is no unhandled rejection", async () => {
    // An unhandled rejection ends a gateway process; here it would also fail the run.
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    cleanup.push(() => void process.off("unhandledRejection", onUnhandled));
    const proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const link = createRedisLink({ url: proxy.url(), timeoutMs: 200, outageMs: 5_000, logger: silentLogger(), pingMs: 200 });
    cleanup.push(() => link.close());
    await expect.poll(() => link.isUp()).toBe(true);

    const channel = `${testPrefix("link")}news`;
    const got: string[] = [];
    link.subscribe(channel, (m) => got.push(m));
    const publisher = new Redis(TEST_REDIS_URL);
    cleanup.push(() => publisher.disconnect());
    const arrives = async (message: string): Promise<boolean> => {
      await publisher.publish(channel, message);
      return got.includes(message);
    };
    await expect.poll(() => arrives("before")).toBe(true);

    // A new connection resubscribes by itself.
    proxy.reset();
    await expect.poll(() => arrives("after a reconnect")).toBe(true);

    // Closed while a resubscribe waits for its reply, and the connection dies under the QUIT: the
    // SUBSCRIBE fails with "Connection is closed", and that failure must be handled, not left to
    // end the process.
    proxy.onSend("subscribe", "swallow");
    proxy.onSend("quit", "drop");
    proxy.reset();
    await expect.poll(() => proxy.intercepted()).toBeGreaterThanOrEqual(1);
    await link.close();
    // Node reports an unhandled rejection once the microtasks have run: give it that turn.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  });
});
