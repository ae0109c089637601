/**
 * Ollama `/api/chat` lines → deltas. Each NDJSON line carries `message.thinking` (reasoning),
 * `message.content` (answer) and complete `message.tool_calls` (arguments as objects, no ids);
 * the last has `done: true`, `done_reason` and the token counts. A line `{"error": …}` is a
 * failure after the 200 was sent.
 */
import type { ToolCallDelta } from "../../../events/index.js";
import type { UpstreamDelta } from "../../chunks.js";
import { UpstreamError, isRecord } from "../../errors.js";
import { openAiUsage } from "../completion.js";
import { count, delta, hasAny, parseFrame, truncated } from "../deltas.js";
import type { AdapterContext, StreamDecoder } from "../types.js";

/** Ollama `done_reason` → OpenAI `finish_reason`. */
export function finishReason(reason: unknown, calledTools: boolean): string {
  if (reason === "length") return "length";
  return calledTools ? "tool_calls" : "stop"; // stop, load, unload
}

/** One response object (a stream line or the whole non-streamed answer) as its deltas. */
export function readLine(payload: unknown, ctx: AdapterContext, tools: { n: number }): { deltas: UpstreamDelta[]; done: boolean } {
  if (!isRecord(payload)) return { deltas: [], done: false };
  if (payload.error !== undefined) {
    throw new UpstreamError({
      kind: "stream",
      message: typeof payload.error === "string" ? payload.error : "the upstream reported an error inside the stream",
      retryable: false,
    });
  }
  const msg = isRecord(payload.message) ? payload.message : {};
  const toolCalls: ToolCallDelta[] = (Array.isArray(msg.tool_calls) ? msg.tool_calls.filter(isRecord) : []).flatMap((c) => {
    const fn = isRecord(c.function) ? c.function : undefined;
    if (!fn || typeof fn.name !== "string") return [];
    const args = typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {});
    return [
      {
        index: tools.n++,
        id: typeof c.id === "string" && c.id !== "" ? c.id : `call_${ctx.newId()}`,
        type: "function" as const,
        function: { name: fn.name, arguments: args },
      },
    ];
  });
  const done = payload.done === true;
  const prompt = count(payload.prompt_eval_count);
  const completion = count(payload.eval_count);
  const d = delta({
    reasoning: typeof msg.thinking === "string" ? msg.thinking : undefined,
    content: typeof msg.content === "string" ? msg.content : undefined,
    toolCalls,
    finishReason: done ? finishReason(payload.done_reason, tools.n > 0) : undefined,
    usage: done && (prompt !== undefined || completion !== undefined) ? openAiUsage({ prompt: prompt ?? 0, completion: completion ?? 0 }) : undefined,
  });
  return { deltas: hasAny(d) ? [d] : [], done };
}

export function createOllamaDecoder(ctx: AdapterContext): StreamDecoder {
  const tools = { n: 0 };
  let done = false;
  return {
    push(frame) {
      const r = readLine(parseFrame(frame.data), ctx, tools);
      done ||= r.done;
      return r;
    },
    end() {
      if (!done) throw truncated('the line with "done": true');
      return [];
    },
  };
}
