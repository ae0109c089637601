import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The shared test server (never flushed: every test works under a prefix of its own). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Does Redis answer? In CI (CI=true) a missing Redis fails loudly instead of skipping. */
export async function redisAvailable(): Promise<boolean> {
  const r = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on("error", () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Call at the top of a test file; returns whether to run (skip locally when absent, throw in CI). */
export async function requireRedis(): Promise<boolean> {
  const ok = await redisAvailable();
  if (!ok && process.env.CI === "true") throw new Error(`Redis is not answering at ${TEST_REDIS_URL}; .ci/run starts it, these tests must not skip in CI`);
  return ok;
}

/** A key prefix no other test (or engineer) uses. */
export const testPrefix = (what: string): string => `sgwtest:${what}:${randomBytes(4).toString("hex")}:`;

/** Delete every key under `prefix` (SCAN, never FLUSH: the server is shared). */
export async function dropPrefix(prefix: string): Promise<void> {
  const r = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await r.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
}

/** Port of the shared test Redis, for a proxy in front of it. */
export function redisTarget(): { host: string; port: number } {
  const u = new URL(TEST_REDIS_URL);
  return { host: u.hostname, port: Number(u.port || 6379) };
}
