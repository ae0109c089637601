/**
 * Which request each AI SDK chat streamed last, in Redis: what one replica sets another reads,
 * scoped by key and bounded by its ttl; an unreachable Redis is "cannot say", never "none".
 */
import { afterEach, describe, expect, it } from "vitest";
import { createChatStreams, createRedisLink, EventLogUnavailableError, type RedisLink } from "../../src/fleet/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { dropPrefix, redisTarget, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

const RUN = await requireRedis();

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function link(url = TEST_REDIS_URL): Promise<RedisLink> {
  const l = createRedisLink({ url, timeoutMs: 200, logger: silentLogger(), pingMs: 200 });
  cleanup.push(() => l.close());
  await expect.poll(() => l.isUp()).toBe(true);
  return l;
}

describe.skipIf(!RUN)("chat streams in Redis", () => {
  it("a chat set on one replica is found on another, for its key only, until its ttl passes", async () => {
    const prefix = testPrefix("chats");
    cleanup.push(() => dropPrefix(prefix));
    const here = createChatStreams(await link(), prefix, () => 0);
    const there = createChatStreams(await link(), prefix, () => 0);
    here.set("alpha", "chat-1", "req-1", 60_000);
    here.set("alpha", "chat-1", "req-2", 60_000);
    await expect.poll(() => there.get("alpha", "chat-1")).toBe("req-2");
    expect(await there.get("bravo", "chat-1")).toBeUndefined();
    here.set("alpha", "short", "req-3", 300);
    await expect.poll(() => there.get("alpha", "short")).toBe("req-3");
    await expect.poll(() => there.get("alpha", "short")).toBeUndefined();
  });

  it("Redis out of reach: a lookup throws EventLogUnavailableError instead of answering none", async () => {
    const prefix = testPrefix("chats");
    cleanup.push(() => dropPrefix(prefix));
    const proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const chats = createChatStreams(await link(proxy.url()), prefix, () => 0);
    proxy.cut();
    await expect
      .poll(() =>
        chats.get("alpha", "chat-1").then(
          () => "answered",
          (e: unknown) => (e instanceof EventLogUnavailableError ? "unavailable" : String(e)),
        ),
      )
      .toBe("unavailable");
  });
});
