import type { MiddlewareHandler } from "hono";
import type { RequestObserver } from "../events/index.js";
import { rejectedRecord } from "../pipeline/index.js";
import { ApiError } from "./errors.js";
import type { GatewayEnv } from "./types.js";

/**
 * Requests refused before the pipeline (auth, limits, validation, allowlist, body size) never
 * reach it; this reports them to the observers so every 4xx shows in metrics and the log.
 */
export function recordRejections(observer: RequestObserver, now: () => number): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    await next();
    const e = c.error;
    if (e instanceof ApiError && e.status < 500) {
      const keyName = c.get("apiKey")?.name;
      observer.finished(
        rejectedRecord({ id: c.get("requestId"), model: c.get("model"), at: now(), status: e.status, code: e.code, message: e.message, keyName }),
      );
    }
  };
}
