import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Config } from "./config/index.js";
import { ApiError, chatRoutes, errorBody, healthRoutes, type GatewayEnv } from "./http/index.js";
import type { Logger } from "./observability/index.js";
import { createSummarizer } from "./summaries/index.js";
import { createUpstreamClient, type UpstreamTarget } from "./upstream/index.js";

/** Everything the app needs from the outside world; tests pass fakes, main.ts the real ones. */
export interface AppDeps {
  config: Config;
  fetch: typeof fetch;
  /** Monotonic milliseconds (performance.now in production). */
  now: () => number;
  /** Wall-clock milliseconds, for `created` fields. */
  wallClock: () => number;
  newId: () => string;
  logger: Logger;
}

/** Build the gateway. No I/O happens here: listening is the caller's job. */
export function createApp(deps: AppDeps) {
  const { config, logger } = deps;
  const client = createUpstreamClient({
    fetch: deps.fetch,
    now: deps.wallClock,
    requestTimeoutMs: config.requestTimeoutMs,
    retry: {
      maxRetries: config.maxRetries,
      backoffMs: config.retryBackoffMs,
      onRetry: ({ attempt, error }) =>
        logger.warn({ attempt, status: error.status, code: error.code, err: error.message }, "upstream call failed; retrying"),
    },
  });
  const target: UpstreamTarget = { baseUrl: config.upstream.baseUrl, path: config.upstream.path, apiKey: config.upstream.apiKey };
  const summarize = createSummarizer(client, config.summaryTimeoutMs);

  const app = new Hono<GatewayEnv>();
  app.use(requestId({ generator: deps.newId }));
  app.route("/", healthRoutes({ client, target }));
  app.route(
    "/",
    chatRoutes({
      config,
      now: deps.wallClock,
      pipeline: {
        client,
        summarize,
        target,
        now: deps.now,
        logger,
        maxReasoningChars: config.maxReasoningChars,
        parseReasoningFields: config.parseReasoningFields,
        capabilities: config.capabilities,
      },
    }),
  );

  app.notFound((c) => c.json(errorBody(`no route for ${c.req.method} ${c.req.path}`, "invalid_request_error", "not_found"), 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) {
      return c.json(errorBody(err.message, err.type, err.code), err.status as ContentfulStatusCode, err.headers);
    }
    if (err instanceof HTTPException) {
      return c.json(errorBody(err.message || "bad request", "invalid_request_error", "bad_request"), err.status);
    }
    logger.error({ err, request_id: c.get("requestId") }, "unhandled error");
    return c.json(errorBody("internal gateway error", "server_error", "internal_error"), 500);
  });
  return app;
}
