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

const capabilityMode = z.enum(["auto", "tags", "think", "fields"]);

/**
 * `MODEL_CAPABILITIES=deepseek-r1*=think,gpt-oss-*=fields` — per-model reasoning format.
 * Patterns may end in `*`. Anything not listed is `auto`.
 */
const capabilities = optionalString.transform((v, ctx) => {
  const out: { pattern: string; mode: z.infer<typeof capabilityMode> }[] = [];
  if (v === undefined) return out;
  for (const item of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [pattern, mode] = item.split("=").map((s) => s.trim());
    const parsed = capabilityMode.safeParse(mode);
    if (!pattern || !parsed.success) {
      ctx.addIssue({ code: "custom", message: `"${item}" is not MODEL=auto|tags|think|fields` });
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
  MAX_BODY_BYTES: z.preprocess(blankToUndefined, num().int().min(1024).default(10_485_760)),
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
  LOG_LEVEL: z.preprocess(blankToUndefined, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
});


export type Env = z.infer<typeof envSchema>;
export type CapabilityMode = z.infer<typeof capabilityMode>;
