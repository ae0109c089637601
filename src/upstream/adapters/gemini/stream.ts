/**
 * Gemini `GenerateContentResponse` chunks → deltas. Every SSE `data:` is a whole response: parts
 * with `thought: true` are reasoning, other text parts the answer, `functionCall` parts complete
 * tool calls (Gemini gives them no id, so we make one). `usageMetadata` is cumulative; the stream
 * ends at EOF (there is no end marker), so the last candidate's `finishReason` is what says it
 * is complete: a stream that never gave one was cut.
 */
import type { ToolCallDelta } from "../../../events/index.js";
import type { UpstreamDelta } from "../../chunks.js";
import { UpstreamError, isRecord } from "../../errors.js";
import { openAiUsage } from "../completion.js";
import { count, delta, hasAny, parseFrame, truncated } from "../deltas.js";
import type { AdapterContext, StreamDecoder } from "../types.js";

const FILTERED = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"]);

/** Gemini `finishReason` → OpenAI `finish_reason`; a STOP after function calls is `tool_calls`. */
export function finishReason(reason: unknown, calledTools: boolean): string | undefined {
  if (typeof reason !== "string" || reason === "FINISH_REASON_UNSPECIFIED") return undefined;
  if (reason === "MAX_TOKENS") return "length";
  if (FILTERED.has(reason)) return "content_filter";
  return calledTools ? "tool_calls" : "stop";
}

export function usageOf(u: Record<string, unknown>) {
  const prompt = (count(u.promptTokenCount) ?? 0) + (count(u.toolUsePromptTokenCount) ?? 0);
  const thoughts = count(u.thoughtsTokenCount);
  // candidatesTokenCount leaves thoughts out; OpenAI's completion_tokens counts reasoning in.
  const completion = (count(u.candidatesTokenCount) ?? 0) + (thoughts ?? 0);
  return openAiUsage({ prompt, completion, total: count(u.totalTokenCount), reasoning: thoughts, cached: count(u.cachedContentTokenCount) });
}

/**
 * `{"error":{"code":…,"message":…,"status":"RESOURCE_EXHAUSTED"}}`: status (lower-cased) is the
 * code; a BadRequest detail's first field violation is the `param`.
 */
export function errorParts(body: unknown): { message?: string; status?: string; retryDelayMs?: number; param?: string; badKey?: boolean } {
  const b = Array.isArray(body) ? (body[0] as unknown) : body; // non-SSE streaming wraps responses in an array
  const err = isRecord(b) && isRecord(b.error) ? b.error : undefined;
  if (!err) return {};
  const out: { message?: string; status?: string; retryDelayMs?: number; param?: string; badKey?: boolean } = {};
  if (typeof err.message === "string") out.message = err.message;
  if (typeof err.status === "string") out.status = err.status;
  // A 429 says how long to wait in a RetryInfo detail ("37s"), not in a header.
  for (const d of Array.isArray(err.details) ? err.details.filter(isRecord) : []) {
    const m = typeof d.retryDelay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay) : null;
    if (m) out.retryDelayMs = Number(m[1]) * 1000;
    const violation = Array.isArray(d.fieldViolations) ? (d.fieldViolations as unknown[]).find(isRecord) : undefined;
    if (out.param === undefined && typeof violation?.field === "string") out.param = violation.field;
    // Gemini answers a bad key with 400 INVALID_ARGUMENT, naming it only in an ErrorInfo reason.
    if (d.reason === "API_KEY_INVALID") out.badKey = true;
  }
  return out;
}

export function createGeminiDecoder(ctx: AdapterContext): StreamDecoder {
  // Calls are numbered across chunks; a STOP after any of them means "tool_calls".
  let tools = 0;
  let finished = false;
  return {
    push(frame) {
      const deltas = readResponse(
        parseFrame(frame.data),
        ctx,
        () => tools++,
        () => tools > 0,
      );
      finished ||= deltas.some((d) => d.finishReason !== undefined);
      return { deltas, done: false };
    },
    end() {
      if (!finished) throw truncated("a finishReason");
      return [];
    },
  };
}

/** One response (a stream chunk or the whole non-streamed answer) as at most one delta. */
export function readResponse(payload: unknown, ctx: AdapterContext, nextTool: () => number, calledTools: () => boolean): UpstreamDelta[] {
  if (!isRecord(payload)) return [];
  if (payload.error !== undefined) {
    const e = errorParts(payload);
    throw new UpstreamError({
      kind: "stream",
      message: e.message ?? "the upstream reported an error inside the stream",
      code: e.status?.toLowerCase() ?? "upstream_stream_error",
      ...(e.status !== undefined && { type: e.status }),
      retryable: false,
    });
  }
  const candidate = Array.isArray(payload.candidates) ? (payload.candidates[0] as unknown) : undefined;
  let reasoning = "";
  let content = "";
  const toolCalls: ToolCallDelta[] = [];
  const parts = isRecord(candidate) && isRecord(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts.filter(isRecord) : [];
  for (const p of parts) {
    if (isRecord(p.functionCall) && typeof p.functionCall.name === "string") {
      const fc = p.functionCall;
      toolCalls.push({
        index: nextTool(),
        id: typeof fc.id === "string" && fc.id !== "" ? fc.id : `call_${ctx.newId()}`,
        type: "function",
        function: { name: fc.name as string, arguments: JSON.stringify(fc.args ?? {}) },
      });
    } else if (typeof p.text === "string") {
      if (p.thought === true) reasoning += p.text;
      else content += p.text;
    }
  }
  const blocked = !isRecord(candidate) && isRecord(payload.promptFeedback) && typeof payload.promptFeedback.blockReason === "string";
  const finish = blocked ? "content_filter" : isRecord(candidate) ? finishReason(candidate.finishReason, calledTools()) : undefined;
  const usage = isRecord(payload.usageMetadata) ? usageOf(payload.usageMetadata) : undefined;
  const d = delta({ reasoning, content, toolCalls, finishReason: finish, usage });
  return hasAny(d) ? [d] : [];
}
