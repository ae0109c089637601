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

/** A whole number in [min, max], with one message that names the range. */
const wholeNumber = (def: number, min: number, max: number) => {
  const range = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(blankToUndefined, z.coerce.number({ message: range }).int(range).min(min, range).max(max, range).default(def));
};

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
  // Research mode (SearXNG's JSON API); unset SEARCH_URL = research requests get `research_unavailable`.
  SEARCH_URL: optionalString.pipe(z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional()),
  SEARCH_TIMEOUT: bound(5),
  // 20 is the hard cap (MAX_RESEARCH_RESULTS in src/research): more is a longer prompt, not a better answer.
  SEARCH_MAX_RESULTS: wholeNumber(5, 1, 20),
  LOG_LEVEL: z.preprocess(blankToUndefined, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
});


export type Env = z.infer<typeof envSchema>;
export type CapabilityMode = z.infer<typeof capabilityMode>;
