import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { KeyLimiter } from "../../../src/fleet/index.js";
import { ApiError, errorBody, keyLimits, type ApiKey, type GatewayEnv } from "../../../src/http/index.js";

/** A limiter that answers later, as a Redis-backed one does; it records what it was asked. */
function laterLimiter(answers: { take: boolean; open: boolean }) {
  const calls: string[] = [];
  const limiter: KeyLimiter = {
    takeRequest: async (key, rpm) => {
      calls.push(`take ${key} ${rpm}`);
      await new Promise((r) => setTimeout(r, 5));
      return answers.take ? { ok: true } : { ok: false, retryAfterMs: 2_500 };
    },
    openStream: async (key, max) => {
      calls.push(`open ${key} ${max}`);
      await new Promise((r) => setTimeout(r, 5));
      return answers.open;
    },
    closeStream: (key) => void calls.push(`close ${key}`),
    openStreams: async () => 0,
  };
  return { limiter, calls };
}

function app(limiter: KeyLimiter) {
  const key: ApiKey = { name: "team-a", sha256: Buffer.alloc(32), rpm: 10, maxConcurrent: 2 };
  const a = new Hono<GatewayEnv>();
  a.use(async (c, next) => {
    c.set("apiKey", key);
    await next();
  });
  a.use(keyLimits(limiter, { rpm: 0, maxConcurrent: 0 }));
  a.post("/chat", (c) => c.text("streamed"));
  a.onError((err, c) => (err instanceof ApiError ? c.json(errorBody(err.message, err.type, err.code), err.status as 429, err.headers) : c.text("boom", 500)));
  return a;
}

describe("keyLimits with a limiter that answers asynchronously", () => {
  it("waits for the rpm verdict and refuses with Retry-After in whole seconds", async () => {
    const { limiter, calls } = laterLimiter({ take: false, open: true });
    const res = await app(limiter).request("/chat", { method: "POST" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    expect(calls).toEqual(["take team-a 10"]);
  });

  it("waits for the slot verdict and refuses a stream beyond the key's limit", async () => {
    const { limiter, calls } = laterLimiter({ take: true, open: false });
    const res = await app(limiter).request("/chat", { method: "POST" });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("too_many_concurrent");
    expect(calls).toEqual(["take team-a 10", "open team-a 2"]);
  });

  it("gives the slot back once the response body is done", async () => {
    const { limiter, calls } = laterLimiter({ take: true, open: true });
    const res = await app(limiter).request("/chat", { method: "POST" });
    expect(await res.text()).toBe("streamed");
    expect(calls).toEqual(["take team-a 10", "open team-a 2", "close team-a"]);
  });
});
