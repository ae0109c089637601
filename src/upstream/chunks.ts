import type { Usage } from "../events/index.js";
import { UpstreamError, errorFields, isRecord } from "./errors.js";

/** One upstream chunk reduced to what the pipeline needs; provider quirks end here. */
export interface UpstreamDelta {
  content: string | undefined;
  /** `reasoning_content` (DeepSeek, SGLang, Friendli) or `reasoning` (vLLM, Ollama, OpenRouter). */
  reasoning: string | undefined;
  finishReason: string | undefined;
  usage: Usage | undefined;
}

/**
 * Normalise one parsed `data:` payload. Throws an `UpstreamError` for an in-stream error object
 * or a `finish_reason: "error"`; returns `undefined` for chunks that carry nothing (keep-alives,
 * role-only first chunks are still returned — they just have no text).
 */
export function readChunk(payload: unknown): UpstreamDelta | undefined {
  if (!isRecord(payload)) return undefined;
  if (payload.error !== undefined && payload.error !== null) {
    const f = errorFields(payload);
    throw new UpstreamError({
      kind: "stream",
      message: f.message ?? "the upstream reported an error inside the stream",
      ...(f.code !== undefined && { code: f.code }),
      ...(f.type !== undefined && { type: f.type }),
      retryable: false,
    });
  }
  const usage = isRecord(payload.usage) ? (payload.usage as Usage) : undefined;
  // Usage-only chunks (stream_options.include_usage) come with an empty `choices`.
  const choice = Array.isArray(payload.choices) ? (payload.choices[0] as unknown) : undefined;
  if (!isRecord(choice)) return usage ? { content: undefined, reasoning: undefined, finishReason: undefined, usage } : undefined;
  const delta = isRecord(choice.delta) ? choice.delta : isRecord(choice.message) ? choice.message : {};
  const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : undefined;
  if (finishReason === "error") {
    throw new UpstreamError({
      kind: "stream",
      message: errorFields(choice).message ?? "the upstream ended the stream with finish_reason \"error\"",
      retryable: false,
    });
  }
  return {
    content: nonEmpty(delta.content),
    reasoning: nonEmpty(delta.reasoning_content) ?? nonEmpty(delta.reasoning),
    finishReason,
    usage,
  };
}

/** `null`, `""` and absent all mean "no text" — providers disagree on which they send. */
function nonEmpty(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}
