import { envSchema, type CapabilityMode, type SAMPLERS } from "./schema.js";

/** The gateway's configuration, in the units the code uses (milliseconds, not seconds). */
export interface Config {
  host: string;
  port: number;
  upstream: { baseUrl: string; path: string; apiKey: string | undefined };
  summaryModelDefault: string | undefined;
  /** AI_SDK_DEFAULT_MODEL: the model of a `/ai-sdk/v1/chat` request whose body names none. */
  aiSdkDefaultModel: string | undefined;
  allowModels: string[] | undefined;
  capabilities: { pattern: string; mode: CapabilityMode }[];
  requestTimeoutMs: number;
  summaryTimeoutMs: number;
  maxReasoningChars: number;
  maxRetries: number;
  retryBackoffMs: number;
  /** Longest unfinished upstream SSE event / NDJSON line held in memory before the stream is ended. */
  upstreamMaxLineBytes: number;
  parseReasoningFields: boolean;
  /** ALLOW_RAW_REASONING: whether a request may ask for the model's own reasoning (`include_reasoning`). */
  allowRawReasoning: boolean;
  keepaliveMs: number;
  /** REQUEST_DEADLINE: the longest any request may run. */
  deadlineMs: number;
  /** REASONING_PROGRESS_SECONDS: progress summaries while reasoning streams; 0 = off. */
  progressIntervalMs: number;
  /** RESUME_GRACE_SECONDS: how long a stream whose client left keeps running for a reconnect; 0 = off. */
  resumeGraceMs: number;
  /** Resumable streams' event log: the grace, and RESUME_MAX_BYTES / RESUME_MAX_TOTAL_BYTES. */
  resume: { graceMs: number; maxBytesPerRequest: number; maxTotalBytes: number };
  /** CLIENT_STALL_SECONDS: how long a client may read nothing before its stream is ended. */
  clientStallMs: number;
  maxBodyBytes: number;
  /** Edge bounds on a JSON request body (BODY_TIMEOUT, MAX_JSON_DEPTH, MAX_JSON_NODES). */
  body: { timeoutMs: number; maxDepth: number; maxNodes: number };
  logLevel: string;
  /** Research mode: SEARCH_URL (unset = off), SEARCH_TIMEOUT, SEARCH_MAX_RESULTS. */
  research: { url: string | undefined; timeoutMs: number; maxResults: number };
  /** VALIDATION_MAX_ATTEMPTS: answers checked per schema-validated request (retries and escalations included). */
  validationMaxAttempts: number;
  /** VALIDATION_BUDGET_MS: how long one schema compile or answer check may run (in a worker) before it is stopped. */
  validationBudgetMs: number;
  /** Several providers and routes (SPEC §6); unset = one provider from UPSTREAM_*. */
  providersFile: string | undefined;
  /** Keep prompt and answer text in logs and the request log. */
  logBodies: boolean;
  requestLog: { enabled: boolean; databaseUrl: string | undefined; dataDir: string };
  /** After SIGTERM, how long in-flight streams may finish before they are closed. */
  shutdownGraceMs: number;
  /** Shared state for several replicas; `url` unset = in-process only (README "Scale out"). */
  redis: { url: string | undefined; prefix: string; timeoutMs: number; outageMs: number };
  /** How long what a replica holds (registration, stream slots, probe claim) outlives its last heartbeat. */
  replicaTtlMs: number;
  /** Worker processes on one port; "auto" = one per core. */
  workers: number | "auto";
  tracing: TracingConfig;
  access: {
    /** Plain keys from GATEWAY_API_KEYS (hashed at start, never kept or logged as given). */
    apiKeys: string[];
    keysFile: string | undefined;
    /** Per-key defaults; 0 = unlimited. */
    rpm: number;
    maxConcurrent: number;
    adminToken: string | undefined;
    adminPassword: string | undefined;
    allowOpenBind: boolean;
    corsOrigins: string[];
  };
}

/** OpenTelemetry traces (OTEL_* variables; the SDK reads the exporter's own). */
export interface TracingConfig {
  /** An OTLP endpoint is set and OTEL_SDK_DISABLED is not true. */
  enabled: boolean;
  protocol: "http/protobuf" | "http/json";
  sampler: { name: (typeof SAMPLERS)[number]; ratio: number };
  /** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: prompt, summaries and answer on the spans. */
  captureContent: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type EnvLike = Record<string, string | undefined>;

/**
 * Validate the environment once, reporting every bad variable together. Pure: the caller
 * decides where `env` comes from (process.env merged with .env, or a test's object).
 */
export function loadConfig(env: EnvLike): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? "environment");
      // Secrets are never echoed; KEY_RPM and the like are numbers, and their value helps.
      const shown = name in env && !/KEYS?$|TOKEN|PASSWORD|SECRET|DATABASE_URL|REDIS_URL/.test(name) ? ` (got "${env[name]}")` : "";
      return `${name}: ${i.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    upstream: { baseUrl: e.UPSTREAM_BASE_URL, path: e.UPSTREAM_PATH, apiKey: e.UPSTREAM_API_KEY },
    summaryModelDefault: e.SUMMARY_MODEL_DEFAULT,
    aiSdkDefaultModel: e.AI_SDK_DEFAULT_MODEL,
    allowModels: e.ALLOW_MODELS,
    capabilities: e.MODEL_CAPABILITIES,
    requestTimeoutMs: e.REQUEST_TIMEOUT * 1000,
    summaryTimeoutMs: e.SUMMARY_TIMEOUT * 1000,
    maxReasoningChars: e.MAX_REASONING_CHARS,
    maxRetries: e.UPSTREAM_MAX_RETRIES,
    retryBackoffMs: e.UPSTREAM_RETRY_BACKOFF * 1000,
    upstreamMaxLineBytes: e.UPSTREAM_MAX_LINE_BYTES,
    parseReasoningFields: e.ENABLE_PARSE_REASONING,
    allowRawReasoning: e.ALLOW_RAW_REASONING,
    keepaliveMs: e.SSE_KEEPALIVE_SECONDS * 1000,
    deadlineMs: e.REQUEST_DEADLINE * 1000,
    clientStallMs: e.CLIENT_STALL_SECONDS * 1000,
    progressIntervalMs: e.REASONING_PROGRESS_SECONDS * 1000,
    resumeGraceMs: e.RESUME_GRACE_SECONDS * 1000,
    resume: { graceMs: e.RESUME_GRACE_SECONDS * 1000, maxBytesPerRequest: e.RESUME_MAX_BYTES, maxTotalBytes: e.RESUME_MAX_TOTAL_BYTES },
    maxBodyBytes: e.MAX_BODY_BYTES,
    body: { timeoutMs: e.BODY_TIMEOUT * 1000, maxDepth: e.MAX_JSON_DEPTH, maxNodes: e.MAX_JSON_NODES },
    logLevel: e.LOG_LEVEL,
    research: { url: e.SEARCH_URL?.replace(/\/+$/, ""), timeoutMs: e.SEARCH_TIMEOUT * 1000, maxResults: e.SEARCH_MAX_RESULTS },
    validationMaxAttempts: e.VALIDATION_MAX_ATTEMPTS,
    validationBudgetMs: e.VALIDATION_BUDGET_MS,
    providersFile: e.PROVIDERS_FILE,
    logBodies: e.LOG_BODIES,
    requestLog: { enabled: e.REQUEST_LOG, databaseUrl: e.DATABASE_URL, dataDir: e.DATA_DIR },
    shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX, timeoutMs: e.REDIS_TIMEOUT_MS, outageMs: e.REDIS_OUTAGE_MS },
    replicaTtlMs: e.REPLICA_TTL_SECONDS * 1000,
    workers: e.WORKERS,
    tracing: {
      enabled: (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT) !== undefined && !e.OTEL_SDK_DISABLED,
      // The signal's own variable first, as the specification orders them.
      protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf",
      sampler: { name: e.OTEL_TRACES_SAMPLER, ratio: e.OTEL_TRACES_SAMPLER_ARG },
      captureContent: e.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
    },
    access: {
      apiKeys: e.GATEWAY_API_KEYS ?? [],
      keysFile: e.GATEWAY_KEYS_FILE,
      rpm: e.KEY_RPM,
      maxConcurrent: e.KEY_MAX_CONCURRENT,
      adminToken: e.ADMIN_TOKEN,
      adminPassword: e.ADMIN_PASSWORD,
      allowOpenBind: e.ALLOW_OPEN_BIND,
      corsOrigins: e.CORS_ORIGINS ?? [],
    },
  };
}
