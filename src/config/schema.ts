import { z } from "zod";

/** Empty strings mean "unset" (t3-env habit): `FOO=` in a .env must not become an invalid value. */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** Blank becomes undefined before coercion, or `PORT=` would silently mean port 0. */
const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const num = () => z.coerce.number({ message: "expected a number" });
const seconds = (def: number) => z.preprocess(blankToUndefined, num().positive().default(def));
const bool = (def: boolean) =>
  z.preprocess(blankToUndefined, z
    .enum(["true", "false", "1", "0", "yes", "no"], { message: "expected true or false" })
    .default(def ? "true" : "false")
    .transform((v) => v === "true" || v === "1" || v === "yes"));

const commaList = optionalString.transform((v) =>
  v === undefined
    ? undefined
    : v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
);

/** A bound on hostile input: a positive number, with a message that names the range. */
const bound = (def: number, opts: { int?: boolean; min?: number } = {}) => {
  const min = opts.min ?? 0;
  const base = z.coerce.number({ message: opts.int ? `must be a whole number ≥ ${Math.max(min, 1)}` : `must be a number > ${min}` });
  const ranged = opts.int ? base.int(`must be a whole number ≥ ${Math.max(min, 1)}`).min(Math.max(min, 1), `must be a whole number ≥ ${Math.max(min, 1)}`) : base.gt(min, `must be a number > ${min}`);
  return z.preprocess(blankToUndefined, ranged.default(def));
};
const WORKERS_RANGE = 'must be "auto" or a whole number from 1 to 256';

const capabilityMode = z.enum(["auto", "tags", "think", "fields"]);

/**
 * `MODEL_CAPABILITIES=*deepseek-r1*=think,gpt-oss*=fields` — per-model reasoning format. Patterns are
 * case-insensitive globs (`*` anywhere matches any run of characters); these rules are tried before the
 * built-in per-family defaults (src/reasoning/capabilities.ts), and anything unmatched is `auto`.
 */
const capabilities = optionalString.transform((v, ctx) => {
  const out: { pattern: string; mode: z.infer<typeof capabilityMode> }[] = [];
  if (v === undefined) return out;
  for (const item of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    const parts = item.split("=").map((s) => s.trim());
    const [pattern, mode] = parts;
    const parsed = capabilityMode.safeParse(mode);
    if (parts.length !== 2 || !pattern || !parsed.success) {
      ctx.addIssue({ code: "custom", message: `"${item}" is not PATTERN=auto|tags|think|fields` });
      continue;
    }
    out.push({ pattern, mode: parsed.data });
  }
  return out;
});

export const envSchema = z.object({
  HOST: optionalString.transform((v) => v ?? "127.0.0.1"),
  PORT: z.preprocess(blankToUndefined, num().int().min(0).max(65535).default(8000)),
  UPSTREAM_BASE_URL: optionalString
    .transform((v) => v ?? "http://localhost:8001")
    .pipe(z.url({ protocol: /^https?$/, message: "expected an http(s) URL" }))
    .transform((v) => v.replace(/\/+$/, "")),
  UPSTREAM_PATH: optionalString
    .transform((v) => v ?? "/chat/completions")
    .refine((v) => v.startsWith("/"), "must start with /"),
  UPSTREAM_API_KEY: optionalString,
  SUMMARY_MODEL_DEFAULT: optionalString,
  ALLOW_MODELS: commaList,
  MODEL_CAPABILITIES: capabilities,
  REQUEST_TIMEOUT: seconds(60),
  SUMMARY_TIMEOUT: seconds(10),
  MAX_REASONING_CHARS: z.preprocess(blankToUndefined, num().int().min(100).default(8000)),
  UPSTREAM_MAX_RETRIES: z.preprocess(blankToUndefined, num().int().min(0).max(20).default(3)),
  UPSTREAM_RETRY_BACKOFF: z.preprocess(blankToUndefined, num().min(0).default(1.0)),
  UPSTREAM_MAX_LINE_BYTES: z.preprocess(blankToUndefined, num().int().min(1024, "must be a whole number >= 1024").default(1_048_576)),
  ENABLE_PARSE_REASONING: bool(true),
  SSE_KEEPALIVE_SECONDS: seconds(15),
  STATUS_HOLD_SECONDS: z.preprocess(blankToUndefined, num().min(0).max(60).default(2)),
  REQUEST_DEADLINE: seconds(1800),
  CLIENT_STALL_SECONDS: seconds(30),
  REASONING_PROGRESS_SECONDS: z.preprocess(blankToUndefined, num().min(0).default(5)),
  MAX_BODY_BYTES: z.preprocess(blankToUndefined, num().int().min(1024).default(10_485_760)),
  BODY_TIMEOUT: bound(60),
  MAX_JSON_DEPTH: bound(64, { int: true, min: 8 }),
  MAX_JSON_NODES: bound(100_000, { int: true, min: 100 }),
  PROVIDERS_FILE: optionalString,
  LOG_BODIES: bool(false),
  REQUEST_LOG: bool(true),
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), "must be a postgres:// URL"),
  SHUTDOWN_GRACE_SECONDS: seconds(10),
  DATA_DIR: optionalString.transform((v) => v ?? "./data"),
  GATEWAY_API_KEYS: commaList,
  GATEWAY_KEYS_FILE: optionalString,
  KEY_RPM: z.preprocess(blankToUndefined, num().int().min(0).default(0)),
  KEY_MAX_CONCURRENT: z.preprocess(blankToUndefined, num().int().min(0).default(0)),
  ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters"),
  ADMIN_PASSWORD: optionalString,
  ALLOW_OPEN_BIND: bool(false),
  CORS_ORIGINS: commaList,
  // Several replicas (README "Scale out"): unset REDIS_URL = everything stays in this process.
  REDIS_URL: optionalString.refine((v) => v === undefined || /^rediss?:\/\//.test(v), "must be a redis:// or rediss:// URL"),
  REDIS_PREFIX: optionalString
    .transform((v) => v ?? "sgw:")
    .refine((v) => /^[A-Za-z0-9:_.{}-]{1,64}$/.test(v), "must be 1-64 characters of A-Z a-z 0-9 : _ . - { }"),
  REDIS_TIMEOUT_MS: z.preprocess(blankToUndefined, num().int("must be a whole number of milliseconds from 10 to 10000").min(10, "must be a whole number of milliseconds from 10 to 10000").max(10_000, "must be a whole number of milliseconds from 10 to 10000").default(250)),
  REPLICA_TTL_SECONDS: z.preprocess(blankToUndefined, num().min(1, "must be a number of seconds >= 1").max(3600, "must be a number of seconds <= 3600").default(10)),
  WORKERS: z.preprocess(
    blankToUndefined,
    z
      .union([z.literal("auto"), z.coerce.number().int(WORKERS_RANGE).min(1, WORKERS_RANGE).max(256, WORKERS_RANGE)], { message: WORKERS_RANGE })
      .default(1),
  ),
  LOG_LEVEL: z.preprocess(blankToUndefined, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
});


export type Env = z.infer<typeof envSchema>;
export type CapabilityMode = z.infer<typeof capabilityMode>;
