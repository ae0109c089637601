import { z } from "zod";
import { ERROR_CODES, type EndpointErrorCode, type EndpointSeed } from "./endpoints.js";
import { MOCK_SCENARIOS, type DeepPartial, type MockOptions } from "./types.js";

/** Empty strings mean "unset", as in a `.env` line like `MOCK_SCENARIO=`. */
const blank = (v: unknown): unknown => (typeof v === "string" && v.trim() === "" ? undefined : v);

const ms = (fallback: number) => z.preprocess(blank, z.coerce.number().finite().nonnegative().default(fallback));

/**
 * The CLI's environment. Defaults are for the human demo: modest latencies so each stage is
 * visible (the programmatic defaults stay at zero for fast tests).
 */
const envSchema = z.object({
  MOCK_PORT: z.preprocess(blank, z.coerce.number().int().min(0).max(65535).default(8001)),
  MOCK_HOST: z.preprocess(blank, z.string().default("127.0.0.1")),
  MOCK_SCENARIO: z.preprocess(blank, z.enum(MOCK_SCENARIOS).optional()),
  MOCK_FAIL_FIRST: z.preprocess(blank, z.coerce.number().int().nonnegative().default(0)),
  MOCK_HEADERS_MS: ms(150),
  MOCK_REASONING_CHUNK_MS: ms(40),
  MOCK_ANSWER_CHUNK_MS: ms(25),
  MOCK_PROMPT_SUMMARY_MS: ms(300),
  MOCK_REASONING_SUMMARY_MS: ms(300),
  MOCK_PROGRESS_SUMMARY_MS: ms(300),
  MOCK_LONG_REASONING_SECONDS: ms(20),
  MOCK_WAKE_DELAY_SECONDS: ms(3),
  MOCK_MANAGEMENT_TOKEN: z.preprocess(blank, z.string().optional()),
  MOCK_ENDPOINTS: z.preprocess(blank, z.string().optional()),
});

const SEED_STATUSES = ["SLEEPING", "RUNNING", "FAILED", "TERMINATED"] as const;

/**
 * `MOCK_ENDPOINTS=ep-a=SLEEPING,ep-b=FAILED:WORKLOAD_INIT_DOWNLOAD_ERROR,ep-c=SLEEPING:stuck` —
 * the dedicated endpoints that exist (replacing the defaults). Returns the record or the problem.
 */
export function parseEndpoints(raw: string): Record<string, EndpointSeed> | string {
  const out: Record<string, EndpointSeed> = {};
  for (const item of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [id, spec = ""] = item.split("=").map((s) => s.trim());
    const [status, extra] = spec.split(":");
    const known = SEED_STATUSES.find((s) => s === status);
    if (!id || known === undefined) return `"${item}" is not ID=SLEEPING|RUNNING|FAILED|TERMINATED[:stuck|:ERROR_CODE]`;
    const seed: EndpointSeed = { status: known };
    if (extra === "stuck") seed.stuck = true;
    else if (extra !== undefined) {
      const code = ERROR_CODES.find((c) => c === extra);
      if (code === undefined || known !== "FAILED") return `"${item}": only FAILED takes an error code, one of ${ERROR_CODES.join(", ")}`;
      seed.errorCode = code satisfies EndpointErrorCode;
    }
    out[id] = seed;
  }
  return out;
}

export interface MockEnv {
  port: number;
  host: string;
  options: DeepPartial<MockOptions>;
}

/**
 * Validate the CLI environment, reporting every bad variable together. Pure: `main.ts` passes
 * `process.env`, tests pass an object.
 */
export function parseMockEnv(env: Record<string, string | undefined>): { ok: true; value: MockEnv } | { ok: false; problems: string[] } {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? "environment");
      const shown = name in env && name !== "MOCK_MANAGEMENT_TOKEN" ? ` (got "${env[name]}")` : "";
      return `${name}: ${i.message}${shown}`;
    });
    return { ok: false, problems };
  }
  const e = parsed.data;
  const endpoints = e.MOCK_ENDPOINTS === undefined ? undefined : parseEndpoints(e.MOCK_ENDPOINTS);
  if (typeof endpoints === "string") return { ok: false, problems: [`MOCK_ENDPOINTS: ${endpoints}`] };
  const options: DeepPartial<MockOptions> = {
    latency: {
      headersMs: e.MOCK_HEADERS_MS,
      reasoningChunkMs: e.MOCK_REASONING_CHUNK_MS,
      answerChunkMs: e.MOCK_ANSWER_CHUNK_MS,
      promptSummaryMs: e.MOCK_PROMPT_SUMMARY_MS,
      reasoningSummaryMs: e.MOCK_REASONING_SUMMARY_MS,
      progressSummaryMs: e.MOCK_PROGRESS_SUMMARY_MS,
    },
    wakeDelayMs: e.MOCK_WAKE_DELAY_SECONDS * 1000,
    longReasoningSeconds: e.MOCK_LONG_REASONING_SECONDS,
  };
  if (endpoints !== undefined) options.endpoints = endpoints;
  if (e.MOCK_SCENARIO !== undefined) options.scenario = e.MOCK_SCENARIO;
  if (e.MOCK_MANAGEMENT_TOKEN !== undefined) options.managementToken = e.MOCK_MANAGEMENT_TOKEN;
  if (e.MOCK_FAIL_FIRST > 0) options.faults = { fail: { status: 503, times: e.MOCK_FAIL_FIRST, target: "stream" } };
  return { ok: true, value: { port: e.MOCK_PORT, host: e.MOCK_HOST, options } };
}
