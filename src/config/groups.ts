import type { envSchema } from "./schema.js";

/** A variable the gateway reads (a key of the schema). */
export type EnvName = keyof typeof envSchema.shape;

/**
 * Every variable of the schema, in the groups `staged-gateway --help` shows. Kept by hand for the
 * order and the titles; a test checks it names each schema variable exactly once, so it cannot drift.
 */
export const ENV_GROUPS: readonly { title: string; names: readonly EnvName[] }[] = [
  { title: "Listening", names: ["HOST", "PORT", "WORKERS", "SHUTDOWN_GRACE_SECONDS"] },
  {
    title: "Upstream",
    names: [
      "UPSTREAM_BASE_URL",
      "UPSTREAM_PATH",
      "UPSTREAM_API_KEY",
      "PROVIDERS_FILE",
      "REQUEST_TIMEOUT",
      "UPSTREAM_MAX_RETRIES",
      "UPSTREAM_RETRY_BACKOFF",
      "UPSTREAM_MAX_LINE_BYTES",
    ],
  },
  {
    title: "Models and reasoning",
    names: [
      "SUMMARY_MODEL_DEFAULT",
      "AI_SDK_DEFAULT_MODEL",
      "ALLOW_MODELS",
      "MODEL_CAPABILITIES",
      "SUMMARY_TIMEOUT",
      "MAX_REASONING_CHARS",
      "ENABLE_PARSE_REASONING",
      "ALLOW_RAW_REASONING",
      "REASONING_PROGRESS_SECONDS",
    ],
  },
  {
    title: "Streams and request limits",
    names: [
      "SSE_KEEPALIVE_SECONDS",
      "REQUEST_DEADLINE",
      "CLIENT_STALL_SECONDS",
      "RESUME_GRACE_SECONDS",
      "RESUME_MAX_BYTES",
      "RESUME_MAX_TOTAL_BYTES",
      "MAX_BODY_BYTES",
      "BODY_TIMEOUT",
      "MAX_JSON_DEPTH",
      "MAX_JSON_NODES",
    ],
  },
  {
    title: "Access",
    names: ["GATEWAY_API_KEYS", "GATEWAY_KEYS_FILE", "KEY_RPM", "KEY_MAX_CONCURRENT", "ADMIN_TOKEN", "ADMIN_PASSWORD", "ALLOW_OPEN_BIND", "CORS_ORIGINS"],
  },
  { title: "Request log", names: ["REQUEST_LOG", "DATABASE_URL", "DATA_DIR", "LOG_BODIES"] },
  { title: "Several replicas", names: ["REDIS_URL", "REDIS_PREFIX", "REDIS_TIMEOUT_MS", "REDIS_OUTAGE_MS", "REPLICA_TTL_SECONDS"] },
  { title: "Research and schema validation", names: ["SEARCH_URL", "SEARCH_TIMEOUT", "SEARCH_MAX_RESULTS", "VALIDATION_MAX_ATTEMPTS", "VALIDATION_BUDGET_MS"] },
  {
    title: "Logs and traces",
    names: [
      "LOG_LEVEL",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
      "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
      "OTEL_SDK_DISABLED",
      "OTEL_TRACES_SAMPLER",
      "OTEL_TRACES_SAMPLER_ARG",
      "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
    ],
  },
];
