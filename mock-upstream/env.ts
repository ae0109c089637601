import { z } from "zod";
import type { DeepPartial, MockOptions } from "./types.js";

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
  MOCK_SCENARIO: z.preprocess(blank, z.enum(["tagged", "think", "r1", "reasoning_content", "reasoning", "plain"]).optional()),
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
});

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
  if (e.MOCK_SCENARIO !== undefined) options.scenario = e.MOCK_SCENARIO;
  if (e.MOCK_MANAGEMENT_TOKEN !== undefined) options.managementToken = e.MOCK_MANAGEMENT_TOKEN;
  if (e.MOCK_FAIL_FIRST > 0) options.faults = { fail: { status: 503, times: e.MOCK_FAIL_FIRST, target: "stream" } };
  return { ok: true, value: { port: e.MOCK_PORT, host: e.MOCK_HOST, options } };
}
