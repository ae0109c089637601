import { Hono } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Config } from "./config/index.js";
import {
  accessControl,
  aiSdkRoutes,
  clientFailure,
  failureBody,
  failureHeaders,
  chatRoutes,
  responsesRoutes,
  resumeRoutes,
  errorBody,
  healthRoutes,
  isAuthenticated,
  keyLimits,
  keysFromList,
  requestIds,
  modelRoutes,
  monitoringRoutes,
  providerJson,
  recordRejections,
  providerRoutes,
  sha256,
  type ApiKey,
  type GatewayEnv,
} from "./http/index.js";
import { webRoutes } from "./web/index.js";
import {
  combineObserversWithLogger,
  createMetrics,
  createMonitor,
  reasoningNotices,
  DEFAULT_BUCKET_SECONDS,
  DEFAULT_SERIES_MINUTES,
  DEFAULT_WINDOW_SIZE,
  toSample,
  type FleetNumbers,
  type Logger,
  type Metrics,
  type Monitor,
} from "./observability/index.js";
import { noopObserver, type RequestObserver } from "./events/index.js";
import { createInflight, type Inflight } from "./pipeline/index.js";
import { RequestEnded } from "./util/index.js";
import type { RequestLog } from "./storage/index.js";
import {
  createRouter,
  providersFileSchema,
  singleProviderSettings,
  startHealthProbes,
  type JsonChange,
  type RouterSettings,
  type StateChange,
} from "./providers/index.js";
import { createFleet, type Fleet } from "./fleet/index.js";
import { createResearchStep, createSearxngBackend } from "./research/index.js";
import { createSummarizer } from "./summaries/index.js";
import type { RequestTracing } from "./telemetry/index.js";
import { createUpstreamClient } from "./upstream/index.js";
import { createAnswerValidator, VALIDATOR_SIZING } from "./validation/index.js";

/**
 * Answer text held back before `summary.reasoning` (at most SUMMARY_TIMEOUT) above which the
 * gateway stops reading the upstream until the summary is out: bounded memory, nothing lost.
 */
const MAX_HELD_CHARS = 256 * 1024;

/**
 * Schema-validated answers are held whole until checked. A longer one is cut here and counts as
 * invalid (`response_format` answers are data, not essays).
 */
const MAX_CHECKED_ANSWER_CHARS = 1024 * 1024;

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
  /**
   * This replica among others (README "Scale out"): shared routing state, key limits, the replica
   * list. When given, every response names the replica (`x-gateway-instance`) and every metric
   * carries an `instance` label. Absent = a fleet of one, nothing shared.
   */
  fleet?: Fleet;
  /** What `GET /metrics` answers, when not this process's own registry (WORKERS > 1). */
  renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** OpenTelemetry request traces (main builds them when an OTLP endpoint is set); absent = off. */
  tracing?: RequestTracing;
  /**
   * Where the dashboard's headline numbers are gathered when not in Redis: the cluster primary,
   * under WORKERS > 1 without REDIS_URL. Absent: Redis when the fleet has it, else this process.
   */
  numbers?: FleetNumbers;
}

export interface Gateway {
  app: Hono<GatewayEnv>;
  metrics: Metrics;
  monitor: Monitor;
  /** The requests running now. */
  inflight: Inflight;
  /** Stop taking work: every new request gets `503 shutting_down` with `Connection: close`. */
  drain(): void;
  /** End every running request with an `error` event (`shutting_down`), or a 503 if nothing was sent. */
  endRequests(): void;
  /** Start background work (active health checks). */
  start(): void;
  /** Stop background work. */
  stop(): void;
  /** Release what outlives requests (the validation workers); once no request runs any more. */
  close(): Promise<void>;
}

/** Build the gateway. No I/O happens here: listening and timers are started by the caller. */
export function createGateway(deps: AppDeps): Gateway {
  const { config, logger } = deps;
  const client = createUpstreamClient({
    fetch: deps.fetch,
    now: deps.wallClock,
    requestTimeoutMs: config.requestTimeoutMs,
    maxLineBytes: config.upstreamMaxLineBytes,
    // Retries are logged by the pipeline, which knows the request, provider and stage.
    retry: { maxRetries: config.maxRetries, backoffMs: config.retryBackoffMs, random: deps.random },
  });
  const defaults = providersFileSchema.shape;
  const settings =
    deps.providers ??
    singleProviderSettings(
      { baseUrl: config.upstream.baseUrl, path: config.upstream.path, apiKey: config.upstream.apiKey },
      defaults.health.parse(undefined),
      defaults.task_routing.parse(undefined),
    );
  const metrics = createMetrics({ knownModels: configuredModels(config, settings), ...(deps.fleet && { defaultLabels: { instance: deps.fleet.id } }) });
  const monitor = createMonitor({ now: deps.wallClock, random: deps.random });
  const fleet =
    deps.fleet ??
    createFleet({
      info: { id: "local", version: "unknown", started_at: new Date(deps.wallClock()).toISOString(), host: "localhost", pid: 0, worker: null },
      ttlMs: config.replicaTtlMs,
      logger,
      wallClock: deps.wallClock,
      now: deps.now,
      inFlight: () => monitor.health().in_flight,
    });
  fleet.registerMetrics(metrics.registry);
  const requestLog = deps.requestLog;
  const onProviderChange = (c: StateChange): void => {
    const via = c.origin === undefined ? "" : ` (seen by ${c.origin})`;
    logger.warn({ provider: c.id, from: c.from, to: c.to, reason: c.reason, ...(c.origin !== undefined && { origin: c.origin }) }, "provider state changed");
    metrics.setCircuitState(c.id, c.to);
    // Counted once, by the replica that saw it, so a sum over instances stays true.
    if (c.to === "cooldown" && c.origin === undefined) metrics.cooldown(c.id);
    monitor.record({
      level: c.to === "active" ? "info" : "warn",
      type: c.to === "cooldown" ? "cooldown" : "circuit",
      provider: c.id,
      message: `${c.id}: ${c.from} → ${c.to} (${c.reason})${via}`,
    });
    deps.onProviderState?.(c);
  };
  const onJsonChange = (c: JsonChange): void => {
    logger.warn(
      { provider: c.id, json_skipped: c.skipped, reason: c.reason },
      c.skipped ? "JSON requests now skip this provider" : "JSON requests go to this provider again",
    );
    metrics.setJsonSkipped(c.id, c.skipped);
    const message = c.skipped ? `${c.id}: JSON requests skip it (${c.reason})` : `${c.id}: takes JSON requests again (${c.reason})`;
    monitor.record({ level: c.skipped ? "warn" : "info", type: "json_skip", provider: c.id, message });
  };
  const router = createRouter(settings, {
    now: deps.wallClock,
    random: deps.random,
    state: fleet.routingState(
      settings.providers.map((p) => p.id),
      settings.health,
      onProviderChange,
    ),
    onJsonChange,
  });
  for (const p of settings.providers) {
    metrics.setCircuitState(p.id, "active");
    metrics.setJsonSkipped(p.id, false);
  }
  const numbers =
    deps.numbers ?? fleet.numbers({ windowSize: DEFAULT_WINDOW_SIZE, bucketSeconds: DEFAULT_BUCKET_SECONDS, keepMinutes: DEFAULT_SERIES_MINUTES });
  const observer = combineObserversWithLogger(
    logger,
    metrics.observer,
    monitor,
    { ...noopObserver, ...reasoningNotices(logger) },
    // Each finished request joins the fleet's headline numbers too.
    ...(numbers ? [{ ...noopObserver, finished: (r: Parameters<RequestObserver["finished"]>[0]) => numbers.add(toSample(r)) }] : []),
    // Every schema check is the signal for cloud-only mode.
    { ...noopObserver, validation: (v) => router.schemaChecked(v.provider, v.valid) },
    ...(requestLog ? [{ ...noopObserver, finished: (r: Parameters<RequestObserver["finished"]>[0]) => requestLog.enqueue(r) }] : []),
    ...(deps.observer ? [deps.observer] : []),
  );
  const first = settings.providers[0];

  const access = {
    keys: [...keysFromList(config.access.apiKeys), ...(deps.keys ?? [])],
    adminToken: config.access.adminToken,
    adminPassword: config.access.adminPassword,
    // Sessions survive restarts only when they are tied to a configured admin token.
    sessionSecret: config.access.adminToken ? sha256(`session:${config.access.adminToken}`).toString("hex") : `${deps.newId()}${deps.newId()}`,
    now: deps.wallClock,
  };

  const validator = createAnswerValidator({ ...VALIDATOR_SIZING, budgetMs: config.validationBudgetMs });
  const inflight = createInflight();
  let draining = false;
  const app = new Hono<GatewayEnv>();
  app.use(async (c, next) => {
    if (!draining) return next();
    // Keep-alive sockets would otherwise bring new work after SIGTERM; close them as we answer.
    c.header("connection", "close");
    return c.json(errorBody("the gateway is shutting down; retry on another instance", "server_error", "shutting_down"), 503, { "retry-after": "1" });
  });
  // The request id is always the gateway's; a client's own is a correlation id only.
  app.use(requestIds(deps.newId));
  if (deps.fleet) {
    const instance = deps.fleet.id;
    // Set before the handler runs, so a stream written straight to the socket carries it too.
    app.use(async (c, next) => {
      c.header("x-gateway-instance", instance);
      await next();
    });
  }
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
  const chatPaths = ["/v1/chat/completions", "/openai/v1/chat/completions", "/openai/v1/responses", "/ai-sdk/v1/chat"];
  for (const path of chatPaths) app.use(path, recordRejections(observer, deps.wallClock));
  app.use(accessControl(access));
  const limiter = fleet.limiter();
  for (const path of chatPaths) app.use(path, keyLimits(limiter, { rpm: config.access.rpm, maxConcurrent: config.access.maxConcurrent }));
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
  app.route(
    "/",
    providerRoutes(router, (e) => monitor.record(e)),
  );
  app.route(
    "/",
    monitoringRoutes({
      metrics,
      monitor,
      requestLog,
      fleet,
      ...(numbers && { numbers }),
      providers: () => router.snapshots().map((s) => ({ ...providerJson(s), circuit_opens: fleet.providerExtras(s.id)?.circuitOpens ?? null })),
      ...(deps.renderMetrics && { renderMetrics: deps.renderMetrics }),
    }),
  );
  // Resumable streams keep their events (in Redis with REDIS_URL, so any replica can resume them).
  const resume =
    config.resumeGraceMs > 0
      ? { graceMs: config.resumeGraceMs, log: fleet.eventLog(config.resume), control: fleet.streamControl(), instance: fleet.id }
      : undefined;
  const chatDeps = {
    config,
    now: deps.wallClock,
    ...(resume && { resume }),
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
      deadlineMs: config.deadlineMs,
      maxHeldChars: MAX_HELD_CHARS,
      inflight,
      progressIntervalMs: config.progressIntervalMs,
      ...(deps.tracing && { tracing: deps.tracing }),
      validation: {
        validator,
        maxAttempts: config.validationMaxAttempts,
        maxAnswerChars: MAX_CHECKED_ANSWER_CHARS,
        budgetMs: config.validationBudgetMs,
      },
      ...(config.research.url && {
        research: createResearchStep({
          backend: createSearxngBackend({ url: config.research.url, fetch: deps.fetch }),
          timeoutMs: config.research.timeoutMs,
          maxResults: config.research.maxResults,
          logger,
        }),
      }),
    },
  };
  const follow = resume && { settings: resume, keepaliveMs: config.keepaliveMs, stallMs: config.clientStallMs, isAlive: (id: string) => fleet.isAlive(id) };
  app.route("/", chatRoutes(chatDeps));
  app.route("/", responsesRoutes(chatDeps));
  app.route("/", aiSdkRoutes({ ...chatDeps, ...(follow && { chats: { streams: fleet.chatStreams(), follow } }) }));
  if (follow) app.route("/", resumeRoutes(follow));

  app.notFound((c) => c.json(errorBody(`no route for ${c.req.method} ${c.req.path}`, "invalid_request_error", "not_found"), 404));
  app.onError((err, c) => {
    const f = clientFailure(err);
    if (f.status >= 500) logger.error({ err, request_id: c.get("requestId") }, "unhandled error");
    return c.json(failureBody(f), f.status as ContentfulStatusCode, failureHeaders(f));
  });

  let stopProbes: (() => void) | undefined;
  return {
    app,
    metrics,
    monitor,
    inflight,
    drain() {
      draining = true;
    },
    endRequests() {
      inflight.abortAll(new RequestEnded("shutting_down", "the gateway is shutting down; retry the request", 503, true));
    },
    start() {
      const interval = settings.health.probe_interval_seconds;
      if (interval > 0 && !stopProbes) stopProbes = startHealthProbes(router, client, interval * 1000);
    },
    stop() {
      stopProbes?.();
      stopProbes = undefined;
    },
    close: () => validator.close(),
  };
}

/** Model names the operator configured: the only client-visible names metrics always label as themselves. */
function configuredModels(config: Config, settings: RouterSettings): string[] {
  const names = [...(config.allowModels ?? []), ...settings.routes.map((r) => r.model), ...settings.providers.flatMap((p) => Object.keys(p.models))];
  if (config.summaryModelDefault) names.push(config.summaryModelDefault);
  if (config.aiSdkDefaultModel) names.push(config.aiSdkDefaultModel);
  return names.filter((n) => n !== "*");
}
