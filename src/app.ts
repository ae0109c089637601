import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Config } from "./config/index.js";
import {
  accessControl,
  ApiError,
  chatRoutes,
  createMemoryLimiter,
  errorBody,
  healthRoutes,
  isAuthenticated,
  keyLimits,
  keysFromList,
  modelRoutes,
  monitoringRoutes,
  recordRejections,
  providerRoutes,
  sha256,
  type ApiKey,
  type GatewayEnv,
} from "./http/index.js";
import { webRoutes } from "./web/index.js";
import { combineObserversWithLogger, createMetrics, createMonitor, type Logger, type Metrics, type Monitor } from "./observability/index.js";
import { noopObserver, type RequestObserver } from "./pipeline/index.js";
import type { RequestLog } from "./storage/index.js";
import { createRouter, providersFileSchema, singleProviderSettings, startHealthProbes, type RouterSettings, type StateChange } from "./providers/index.js";
import { createSummarizer } from "./summaries/index.js";
import { createUpstreamClient } from "./upstream/index.js";

/** Everything the app needs from the outside world; tests pass fakes, main.ts the real ones. */
export interface AppDeps {
  config: Config;
  fetch: typeof fetch;
  /** Monotonic milliseconds (performance.now in production). */
  now: () => number;
  /** Wall-clock milliseconds, for timestamps. */
  wallClock: () => number;
  newId: () => string;
  random: () => number;
  logger: Logger;
  /** Providers and routes from PROVIDERS_FILE; absent = one provider from UPSTREAM_*. */
  providers?: RouterSettings;
  /** Where finished requests are kept; absent = no request log (GET /v1/requests answers 503). */
  requestLog?: RequestLog;
  /** Named keys from GATEWAY_KEYS_FILE (read by main), added to GATEWAY_API_KEYS. */
  keys?: ApiKey[];
  /** Extra observers (tests). */
  observer?: RequestObserver;
  onProviderState?: (c: StateChange) => void;
}

export interface Gateway {
  app: Hono<GatewayEnv>;
  metrics: Metrics;
  monitor: Monitor;
  /** Start background work (active health checks). */
  start(): void;
  /** Stop background work. */
  stop(): void;
}

/** Build the gateway. No I/O happens here: listening and timers are started by the caller. */
export function createGateway(deps: AppDeps): Gateway {
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
  const defaults = providersFileSchema.shape;
  const settings =
    deps.providers ??
    singleProviderSettings(
      { baseUrl: config.upstream.baseUrl, path: config.upstream.path, apiKey: config.upstream.apiKey },
      defaults.health.parse(undefined),
      defaults.task_routing.parse(undefined),
    );
  const metrics = createMetrics();
  const monitor = createMonitor({ now: deps.wallClock });
  const requestLog = deps.requestLog;
  const observer = combineObserversWithLogger(
    logger,
    metrics.observer,
    monitor,
    ...(requestLog ? [{ ...noopObserver, finished: (r: Parameters<RequestObserver["finished"]>[0]) => requestLog.enqueue(r) }] : []),
    ...(deps.observer ? [deps.observer] : []),
  );
  const router = createRouter(settings, {
    now: deps.wallClock,
    random: deps.random,
    onChange: (c) => {
      logger.warn({ provider: c.id, from: c.from, to: c.to, reason: c.reason }, "provider state changed");
      metrics.setCircuitState(c.id, c.to);
      if (c.to === "cooldown") metrics.cooldown(c.id);
      monitor.record({ level: c.to === "active" ? "info" : "warn", type: c.to === "cooldown" ? "cooldown" : "circuit", provider: c.id, message: `${c.id}: ${c.from} → ${c.to} (${c.reason})` });
      deps.onProviderState?.(c);
    },
  });
  for (const p of settings.providers) metrics.setCircuitState(p.id, "active");
  const first = settings.providers[0];

  const access = {
    keys: [...keysFromList(config.access.apiKeys), ...(deps.keys ?? [])],
    adminToken: config.access.adminToken,
    adminPassword: config.access.adminPassword,
    // Sessions survive restarts only when they are tied to a configured admin token.
    sessionSecret: config.access.adminToken ? sha256(`session:${config.access.adminToken}`).toString("hex") : `${deps.newId()}${deps.newId()}`,
    now: deps.wallClock,
  };

  const app = new Hono<GatewayEnv>();
  app.use(requestId({ generator: deps.newId }));
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "no-referrer",
      crossOriginResourcePolicy: "same-origin",
    }),
  );
  if (config.access.corsOrigins.length > 0) {
    const allowed = new Set(config.access.corsOrigins);
    app.use(cors({ origin: (origin) => (allowed.has(origin) ? origin : null), exposeHeaders: ["x-request-id", "x-gateway-provider"], maxAge: 600 }));
  }
  app.use("/v1/chat/completions", recordRejections(observer, deps.wallClock));
  app.use(accessControl(access));
  app.use("/v1/chat/completions", keyLimits(createMemoryLimiter(deps.now), { rpm: config.access.rpm, maxConcurrent: config.access.maxConcurrent }));
  app.route("/", webRoutes(access));
  app.route(
    "/",
    modelRoutes({
      allowModels: config.allowModels,
      routes: settings.routes,
      providers: settings.providers,
      now: deps.wallClock,
      ...(settings.single && first && { upstreamModels: () => client.models(first.target, 3_000) }),
    }),
  );
  if (first) app.route("/", healthRoutes({ client, target: first.target, disclose: (c) => isAuthenticated(c, access) }));
  app.route("/", providerRoutes(router));
  app.route("/", monitoringRoutes({ metrics, monitor, requestLog }));
  app.route(
    "/",
    chatRoutes({
      config,
      now: deps.wallClock,
      pipeline: {
        client,
        router,
        summarize: createSummarizer(config.summaryTimeoutMs),
        now: deps.now,
        wallClock: deps.wallClock,
        logger,
        observer,
        maxRetries: config.maxRetries,
        maxReasoningChars: config.maxReasoningChars,
        parseReasoningFields: config.parseReasoningFields,
        capabilities: config.capabilities,
        logBodies: config.logBodies,
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

  let stopProbes: (() => void) | undefined;
  return {
    app,
    metrics,
    monitor,
    start() {
      const interval = settings.health.probe_interval_seconds;
      if (interval > 0 && !stopProbes) stopProbes = startHealthProbes(router, client, interval * 1000);
    },
    stop() {
      stopProbes?.();
      stopProbes = undefined;
    },
  };
}
