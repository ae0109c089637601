import type { ToolCallDelta, Usage } from "../events/index.js";
import { UpstreamError, errorFields, isRecord } from "./errors.js";

/** One upstream chunk reduced to what the pipeline needs; provider quirks end here. */
export interface UpstreamDelta {
  content: string | undefined;
  /**
   * `reasoning_content` (DeepSeek, SGLang, Friendli), `reasoning` (vLLM, Ollama, OpenRouter), or the text
   * of OpenRouter's `reasoning_details`; Ollama's native `message.thinking` and the other native APIs'
   * thinking arrive here too.
   */
  reasoning: string | undefined;
  /** `delta.tool_calls` fragments, normalised (an `index` on each; empty name/id dropped). */
  toolCalls: ToolCallDelta[] | undefined;
  finishReason: string | undefined;
  usage: Usage | undefined;
  /**
   * Reasoning the upstream sent encrypted (OpenRouter `reasoning.encrypted` details, Anthropic
   * `redacted_thinking` blocks): counted, never shown.
   */
  encryptedReasoning?: number;
  /** The chunk's `model`: the model the upstream says is answering (for traces). */
  model?: string | undefined;
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
      param: f.param,
      retryable: false,
    });
  }
  const usage = isRecord(payload.usage) ? (payload.usage as Usage) : undefined;
  // Usage-only chunks (stream_options.include_usage) come with an empty `choices`.
  const choice = Array.isArray(payload.choices) ? (payload.choices[0] as unknown) : undefined;
  if (!isRecord(choice)) return usage ? { content: undefined, reasoning: undefined, toolCalls: undefined, finishReason: undefined, usage } : undefined;
  const delta = isRecord(choice.delta) ? choice.delta : isRecord(choice.message) ? choice.message : {};
  const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : undefined;
  if (finishReason === "error") {
    throw new UpstreamError({
      kind: "stream",
      message: errorFields(choice).message ?? 'the upstream ended the stream with finish_reason "error"',
      retryable: false,
    });
  }
  const details = readReasoningDetails(delta.reasoning_details);
  return {
    content: nonEmpty(delta.content),
    // OpenRouter sends `reasoning` and the same text in `reasoning_details`: the details only count alone.
    reasoning: nonEmpty(delta.reasoning_content) ?? nonEmpty(delta.reasoning) ?? details.text,
    toolCalls: readToolCalls(delta.tool_calls),
    finishReason,
    usage,
    ...(details.encrypted > 0 && { encryptedReasoning: details.encrypted }),
    model: typeof payload.model === "string" ? payload.model : undefined,
  };
}

/**
 * OpenRouter's `reasoning_details`: `reasoning.text` items carry `text`, `reasoning.summary` items a
 * `summary`, `reasoning.encrypted` items opaque `data` that is counted and never shown.
 */
export function readReasoningDetails(v: unknown): { text: string | undefined; encrypted: number } {
  if (!Array.isArray(v)) return { text: undefined, encrypted: 0 };
  let text = "";
  let encrypted = 0;
  for (const item of v as unknown[]) {
    if (!isRecord(item)) continue;
    if (item.type === "reasoning.text" && typeof item.text === "string") text += item.text;
    else if (item.type === "reasoning.summary" && typeof item.summary === "string") text += item.summary;
    else if (item.type === "reasoning.encrypted") encrypted++;
  }
  return { text: text === "" ? undefined : text, encrypted };
}

/** `null`, `""` and absent all mean "no text" — providers disagree on which they send. */
function nonEmpty(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * `tool_calls` fragments in OpenAI's delta shape. Servers differ in small ways: some omit
 * `index` (then the position in the array is the index), some repeat `id`/`type` on every
 * fragment or send them empty; the argument text is kept exactly as sent.
 */
export function readToolCalls(v: unknown): ToolCallDelta[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const out: ToolCallDelta[] = [];
  v.forEach((item: unknown, position) => {
    if (!isRecord(item)) return;
    const call: ToolCallDelta = { index: typeof item.index === "number" && Number.isInteger(item.index) && item.index >= 0 ? item.index : position };
    if (typeof item.id === "string" && item.id !== "") call.id = item.id;
    if (item.type === "function") call.type = "function";
    const fn = isRecord(item.function) ? item.function : undefined;
    if (fn) {
      const f: { name?: string; arguments?: string } = {};
      if (typeof fn.name === "string" && fn.name !== "") f.name = fn.name;
      if (typeof fn.arguments === "string") f.arguments = fn.arguments;
      else if (isRecord(fn.arguments)) f.arguments = JSON.stringify(fn.arguments); // a few servers send an object
      call.function = f;
    }
    out.push(call);
  });
  return out.length > 0 ? out : undefined;
}
