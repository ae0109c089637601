import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.js";
import type { KeyLimiter } from "../fleet/index.js";
import type { GatewayEnv } from "./types.js";

/**
 * Call `release` exactly once when `res`'s body has been fully sent or cancelled (or right away
 * when it has none), so a slot can never leak whatever way the response ends.
 */
export function releaseWhenDone(res: Response, release: () => void, signal: AbortSignal): Response {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    signal.removeEventListener("abort", once);
    release();
  };
  if (!res.body) {
    once();
    return res;
  }
  signal.addEventListener("abort", once, { once: true });
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await reader.read();
        if (end) {
          controller.close();
          once();
        } else controller.enqueue(value);
      } catch (e) {
        once();
        controller.error(e);
      }
    },
    cancel(reason) {
      once();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The per-key limits middleware for the chat route; does nothing for requests without a key. */
export function keyLimits(limiter: KeyLimiter, defaults: { rpm: number; maxConcurrent: number }): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const key = c.get("apiKey");
    if (!key) return next();
    const rpm = key.rpm ?? defaults.rpm;
    const max = key.maxConcurrent ?? defaults.maxConcurrent;
    const taken = await limiter.takeRequest(key.name, rpm);
    if (!taken.ok) {
      const retry = String(Math.max(1, Math.ceil(taken.retryAfterMs / 1000)));
      throw new ApiError(429, `key "${key.name}" is limited to ${rpm} requests per minute`, "rate_limited", "rate_limit_error", { "retry-after": retry });
    }
    if (max <= 0) return next();
    if (!(await limiter.openStream(key.name, max))) {
      throw new ApiError(429, `key "${key.name}" already has ${max} streams open`, "too_many_concurrent", "rate_limit_error", { "retry-after": "1" });
    }
    await next();
    const release = () => limiter.closeStream(key.name);
    // On Node the slot is released when the response is over, however it ended (a stream is
    // written to the socket directly, so there is no body to watch). Elsewhere, the body is.
    const outgoing = (c.env as { outgoing?: import("node:http").ServerResponse } | undefined)?.outgoing;
    if (outgoing) {
      if (outgoing.writableFinished || outgoing.destroyed) release();
      else outgoing.once("close", release);
    } else {
      // Hono has already turned a thrown error into c.res here; either way the slot is released
      // when that response's body is done, cancelled, or the client leaves.
      c.res = releaseWhenDone(c.res, release, c.req.raw.signal);
    }
  };
}
