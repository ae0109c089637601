import { z } from "zod";
import { HOSTILE_MODES, MOCK_SCENARIOS } from "./types.js";
import { ERROR_CODES } from "./endpoints.js";
import type { DeepPartial, MockOptions } from "./types.js";

const ms = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();
const target = z.enum(["stream", "prompt_summary", "reasoning_summary", "summary", "all"]);

/** JSON has no `Infinity`, so over HTTP "always" is spelt `"Infinity"` or `null`. */
const times = z.union([z.number().nonnegative(), z.literal("Infinity"), z.null()]).transform((v) => (typeof v === "number" ? v : Infinity));

const faultsSchema = z.strictObject({
  fail: z
    .strictObject({
      status: z.number().int().min(400).max(599).optional(),
      times: times.optional(),
      target: target.optional(),
      retryAfterSeconds: z.number().nonnegative().optional(),
      retryAfterMs: z.number().nonnegative().optional(),
      message: z.string().optional(),
      param: z.string().optional(),
    })
    .optional(),
  dropAfterChunks: count.optional(),
  errorAfterChunks: count.optional(),
  finishErrorAfterChunks: count.optional(),
  stallAfterChunks: count.optional(),
  stallSummaries: z.enum(["prompt", "reasoning", "both"]).optional(),
  omitDone: z.boolean().optional(),
  hostile: z.enum(HOSTILE_MODES).optional(),
});

const scriptedChunk = z.strictObject({ delta: z.record(z.string(), z.unknown()), finish_reason: z.string().nullable().optional(), delayMs: ms.optional() });

/** The body of `POST /_mock/config`: a strict DeepPartial<MockOptions>, so typos are reported. */
export const configPatchSchema = z.strictObject({
  scenario: z.enum(MOCK_SCENARIOS).optional(),
  reasoningText: z.string().optional(),
  answerText: z.string().optional(),
  chunkChars: z.number().int().positive().optional(),
  roleChunk: z.boolean().optional(),
  usageChunk: z.boolean().optional(),
  script: z.array(scriptedChunk).nullable().optional(),
  scripts: z.array(z.array(scriptedChunk)).nullable().optional(),
  latency: z
    .strictObject({
      headersMs: ms.optional(),
      reasoningChunkMs: ms.optional(),
      answerChunkMs: ms.optional(),
      promptSummaryMs: ms.optional(),
      reasoningSummaryMs: ms.optional(),
      progressSummaryMs: ms.optional(),
    })
    .optional(),
  faults: faultsSchema.optional(),
  wakeDelayMs: ms.optional(),
  longReasoningSeconds: ms.optional(),
  endpoints: z
    .record(
      z.string().min(1),
      z.strictObject({
        status: z.enum(["SLEEPING", "RUNNING", "FAILED", "TERMINATED"]),
        errorCode: z.enum(ERROR_CODES).optional(),
        stuck: z.boolean().optional(),
      }),
    )
    .optional(),
  managementToken: z.string().optional(),
});

/** Validate an HTTP config patch; returns the patch or every problem found. */
export function parseConfigPatch(input: unknown): { ok: true; patch: DeepPartial<MockOptions> } | { ok: false; problems: string[] } {
  const parsed = configPatchSchema.safeParse(input);
  if (parsed.success) return { ok: true, patch: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`),
  };
}
