/**
 * Text for the events beyond the three sections: research sources, tool calls and upstream
 * retries. Pure functions, so the renderer stays a small state machine and these are easy to test.
 */
import type { EventData, Source, ToolCallDelta } from "../src/events/index.js";

/** One tool call put back together from its streamed fragments. */
export interface AssembledToolCall {
  index: number;
  id: string | undefined;
  name: string;
  arguments: string;
}

/**
 * Collects `output.tool_calls` fragments: the first fragment of a call names it, later ones append
 * to its arguments (OpenAI's streamed `delta.tool_calls` convention).
 */
export function createToolCallAssembler(): { add(deltas: ToolCallDelta[]): void; calls(): AssembledToolCall[] } {
  const byIndex = new Map<number, AssembledToolCall>();
  return {
    add(deltas) {
      for (const d of deltas) {
        const call = byIndex.get(d.index) ?? { index: d.index, id: undefined, name: "", arguments: "" };
        if (d.id !== undefined) call.id = d.id;
        if (d.function?.name !== undefined) call.name += d.function.name;
        if (d.function?.arguments !== undefined) call.arguments += d.function.arguments;
        byIndex.set(d.index, call);
      }
    },
    calls: () => [...byIndex.values()].sort((a, b) => a.index - b.index),
  };
}

/** `get_weather({"city":"Paris"})  id call_1`, one line per call. */
export function formatToolCalls(calls: AssembledToolCall[]): string {
  return calls.map((c) => `  ${c.name || "(unnamed)"}(${c.arguments})${c.id ? `  id ${c.id}` : ""}`).join("\n");
}

/** `[1] Title — https://…` lines, numbered as the answer cites them. */
export function formatSources(query: string, sources: Source[]): string {
  const head = query === "" ? "Sources:" : `Sources for "${query}":`;
  if (sources.length === 0) return `${head}\n  (none found)`;
  return [head, ...sources.map((s) => `  [${s.index}] ${s.title || s.url} — ${s.url}`)].join("\n");
}

/** What a retry is about, by its code: a sleeping endpoint reads differently from a rate limit. */
function retryReason(code: string, message: string): string {
  if (code === "endpoint_unavailable" || /unavailable|asleep|sleep|warm/i.test(message)) return "endpoint warming up";
  if (code === "upstream_rate_limited" || code === "rate_limited") return "upstream rate limited";
  if (code === "upstream_timeout") return "upstream timed out";
  if (code === "upstream_unreachable") return "upstream unreachable";
  return `upstream failed (${code})`;
}

/** `endpoint warming up, retry 2/3 in 1.5 s`: so a wait is never silent. */
export function formatRetry(data: EventData<"upstream.retry">): string {
  const wait = data.delay_ms > 0 ? ` in ${(data.delay_ms / 1000).toFixed(1)} s` : "";
  return `${retryReason(data.code, data.message)}, retry ${data.attempt}/${data.max_retries}${wait}`;
}
