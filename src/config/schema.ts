import { z } from "zod";

/** Empty strings mean "unset" (t3-env habit): `FOO=` in a .env must not become an invalid value. */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** Blank becomes undefined before coercion, or `PORT=` would silently mean port 0. */
const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
/** The range a numeric variable accepts; `int` for whole numbers. */
export interface NumberRange {
  int?: boolean;
  /** Exclusive lower bound (`> 0`). */
  gt?: number;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
}

function rangeText(r: NumberRange): string {
  if (r.min !== undefined && r.max !== undefined) return `from ${r.min} to ${r.max}`;
  if (r.gt !== undefined) return `> ${r.gt}`;
  if (r.min !== undefined) return `≥ ${r.min}`;
  if (r.max !== undefined) return `≤ ${r.max}`;
  return "";
}

/**
 * A numeric variable whose error names the range it accepts — `must be a number > 0`,
 * `must be ≥ 100` — rather than a generic "expected a number" (loadConfig adds `(got "…")`).
 * Blank means the default.
 */
export function numberVar(def: number, r: NumberRange) {
  const range = rangeText(r);
  const kind = r.int ? "a whole number" : "a number";
  return z.preprocess(blankToUndefined, z.union([z.string(), z.number()]).optional()).transform((v, ctx) => {
    if (v === undefined) return def;
    const n = typeof v === "number" ? v : Number(v.trim());
    if (!Number.isFinite(n) || (r.int === true && !Number.isInteger(n))) {
      ctx.addIssue({ code: "custom", message: `must be ${kind} ${range}`.trimEnd() });
      return z.NEVER;
    }
    const inRange = (r.gt === undefined || n > r.gt) && (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max);
    if (!inRange) {
      // "a number > 0" reads better than "> 0" alone for the exclusive bounds; whole-number ranges are plain.
      ctx.addIssue({ code: "custom", message: r.int ? `must be ${range}` : `must be ${kind} ${range}` });
      return z.NEVER;
    }
    return n;
  });
}

const seconds = (def: number) => numberVar(def, { gt: 0 });
const bool = (def: boolean) =>
  z.preprocess(
    blankToUndefined,
    z
      .enum(["true", "false", "1", "0", "yes", "no"], { message: "expected true or false" })
      .default(def ? "true" : "false")
      .transform((v) => v === "true" || v === "1" || v === "yes"),
  );

const commaList = optionalString.transform((v) =>
  v === undefined
    ? undefined
    : v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
);

/** OTEL_TRACES_SAMPLER's values, as the OpenTelemetry specification lists them. */
export const SAMPLERS = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;

const otlpUrl = optionalString.pipe(z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional());

/** OTLP over HTTP only: gRPC would need a second transport for the same spans. */
const otlpProtocol = optionalString.pipe(
  z.enum(["http/protobuf", "http/json"], { message: "must be http/protobuf or http/json (OTLP over gRPC is not supported)" }).optional(),
);

const WORKERS_RANGE = 'must be "auto" or a whole number from 1 to 256';

/** Every reasoning format the separator knows (docs/reasoning-formats.md describes each). */
export const CAPABILITY_MODES = [
  "auto",
  "tags",
  "think",
  "fields",
  "think-open",
  "deepseek-v3",
  "hunyuan",
  "harmony",
  "mistral",
  "seed",
  "kimi",
  "cohere",
  "granite",
  "gemma4",
] as const;

const capabilityMode = z.enum(CAPABILITY_MODES);

/**
 * `MODEL_CAPABILITIES=*deepseek-r1*=think,gpt-oss*=fields` — per-model reasoning format. Patterns are
 * case-insensitive globs (`*` anywhere matches any run of characters); these rules are tried before the
 * built-in per-family defaults (src/reasoning/capabilities.ts), and anything unmatched is `auto`.
 */
const capabilities = optionalString.transform((v, ctx) => {
  const out: { pattern: string; mode: z.infer<typeof capabilityMode> }[] = [];
  if (v === undefined) return out;
  for (const item of v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const parts = item.split("=").map((s) => s.trim());
    const [pattern, mode] = parts;
    const parsed = capabilityMode.safeParse(mode);
    if (parts.length !== 2 || !pattern || !parsed.success) {
      ctx.addIssue({ code: "custom", message: `"${item}" is not PATTERN=MODE, where MODE is one of ${CAPABILITY_MODES.join(", ")}` });
      continue;
    }
    out.push({ pattern, mode: parsed.data });
  }
  return out;
});

export const envSchema = z.object({
  HOST: optionalString.transform((v) => v ?? "127.0.0.1"),
  PORT: numberVar(8000, { int: true, min: 0, max: 65535 }),
  UPSTREAM_BASE_URL: optionalString
    .transform((v) => v ?? "http://localhost:8001")
    .pipe(z.url({ protocol: /^https?$/, message: "expected an http(s) URL" }))
    .transform((v) => v.replace(/\/+$/, ""))
    // A copied chat URL would become …/chat/completions/chat/completions and 404 on every request.
    .refine((v) => !/\/chat\/completions$/i.test(v), {
      message: "ends in /chat/completions: give the base URL before it (e.g. https://api.example.com/v1); the gateway appends UPSTREAM_PATH itself",
    }),
  UPSTREAM_PATH: optionalString.transform((v) => v ?? "/chat/completions").refine((v) => v.startsWith("/"), "must start with /"),
  UPSTREAM_API_KEY: optionalString,
  SUMMARY_MODEL_DEFAULT: optionalString,
  AI_SDK_DEFAULT_MODEL: optionalString,
  ALLOW_MODELS: commaList,
  MODEL_CAPABILITIES: capabilities,
  REQUEST_TIMEOUT: seconds(60),
  SUMMARY_TIMEOUT: seconds(10),
  MAX_REASONING_CHARS: numberVar(8000, { int: true, min: 100 }),
  UPSTREAM_MAX_RETRIES: numberVar(3, { int: true, min: 0, max: 20 }),
  UPSTREAM_RETRY_BACKOFF: numberVar(1.0, { min: 0 }),
  UPSTREAM_MAX_LINE_BYTES: numberVar(1_048_576, { int: true, min: 1024 }),
  ENABLE_PARSE_REASONING: bool(true),
  // `include_reasoning: true` hands the model's own reasoning to the client; false refuses it (403).
  ALLOW_RAW_REASONING: bool(true),
  SSE_KEEPALIVE_SECONDS: seconds(15),
  REQUEST_DEADLINE: seconds(1800),
  CLIENT_STALL_SECONDS: seconds(30),
  REASONING_PROGRESS_SECONDS: numberVar(5, { min: 0 }),
  RESUME_GRACE_SECONDS: numberVar(0, { min: 0, max: 3600 }),
  RESUME_MAX_BYTES: numberVar(4 * 1_048_576, { int: true, min: 4096 }),
  RESUME_MAX_TOTAL_BYTES: numberVar(128 * 1_048_576, { int: true, min: 65_536 }),
  MAX_BODY_BYTES: numberVar(10_485_760, { int: true, min: 1024 }),
  BODY_TIMEOUT: seconds(60),
  MAX_JSON_DEPTH: numberVar(64, { int: true, min: 8 }),
  MAX_JSON_NODES: numberVar(100_000, { int: true, min: 100 }),
  PROVIDERS_FILE: optionalString,
  LOG_BODIES: bool(false),
  REQUEST_LOG: bool(true),
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), "must be a postgres:// URL"),
  SHUTDOWN_GRACE_SECONDS: seconds(10),
  DATA_DIR: optionalString.transform((v) => v ?? "./data"),
  GATEWAY_API_KEYS: commaList,
  GATEWAY_KEYS_FILE: optionalString,
  KEY_RPM: numberVar(0, { int: true, min: 0 }),
  KEY_MAX_CONCURRENT: numberVar(0, { int: true, min: 0 }),
  ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters"),
  ADMIN_PASSWORD: optionalString,
  ALLOW_OPEN_BIND: bool(false),
  CORS_ORIGINS: commaList,
  // Several replicas (README "Scale out"): unset REDIS_URL = everything stays in this process.
  REDIS_URL: optionalString.refine((v) => v === undefined || /^rediss?:\/\//.test(v), "must be a redis:// or rediss:// URL"),
  REDIS_PREFIX: optionalString
    .transform((v) => v ?? "sgw:")
    .refine((v) => /^[A-Za-z0-9:_.{}-]{1,64}$/.test(v), "must be 1-64 characters of A-Z a-z 0-9 : _ . - { }"),
  REDIS_TIMEOUT_MS: numberVar(250, { int: true, min: 10, max: 10_000 }),
  REDIS_OUTAGE_MS: numberVar(3000, { int: true, min: 100, max: 60_000 }),
  REPLICA_TTL_SECONDS: numberVar(10, { min: 1, max: 3600 }),
  WORKERS: z.preprocess(
    blankToUndefined,
    z.union([z.literal("auto"), z.coerce.number().int(WORKERS_RANGE).min(1, WORKERS_RANGE).max(256, WORKERS_RANGE)], { message: WORKERS_RANGE }).default(1),
  ),
  // Research mode (SearXNG's JSON API); unset SEARCH_URL = research requests get `research_unavailable`.
  SEARCH_URL: optionalString.pipe(z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional()),
  SEARCH_TIMEOUT: seconds(5),
  // 20 is the hard cap (MAX_RESEARCH_RESULTS in src/research): more is a longer prompt, not a better answer.
  SEARCH_MAX_RESULTS: numberVar(5, { int: true, min: 1, max: 20 }),
  // Schema-validated answers (`response_format`): answers checked per request, the first included.
  VALIDATION_MAX_ATTEMPTS: numberVar(3, { int: true, min: 1, max: 10 }),
  // How long one schema compile or answer check may run in its worker before it is stopped.
  VALIDATION_BUDGET_MS: numberVar(2_000, { int: true, min: 50, max: 60_000 }),
  LOG_LEVEL: z.preprocess(blankToUndefined, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
  // OpenTelemetry traces: on when an OTLP endpoint is set. The SDK reads its other variables itself
  // (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION).
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
  OTEL_SDK_DISABLED: bool(false),
  OTEL_TRACES_SAMPLER: z.preprocess(blankToUndefined, z.enum(SAMPLERS, { message: `must be one of ${SAMPLERS.join(", ")}` }).default("parentbased_always_on")),
  OTEL_TRACES_SAMPLER_ARG: numberVar(1, { min: 0, max: 1 }),
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: bool(false),
});

export type Env = z.infer<typeof envSchema>;
export type CapabilityMode = z.infer<typeof capabilityMode>;
