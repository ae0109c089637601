import type { ToolCallDelta, Usage } from "../../events/index.js";
import type { UpstreamDelta } from "../chunks.js";

/** OpenAI's `chat.completion`, as the gateway's summaries and `stream:false` readers expect it. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: 0;
    message: {
      role: "assistant";
      content: string | null;
      reasoning_content?: string;
      tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
    };
    finish_reason: string | null;
  }[];
  usage?: Usage;
}

/**
 * Fold a native answer, already read into deltas, into one `chat.completion`: text and reasoning
 * joined, tool-call fragments merged by index (first id and name win, arguments appended), the
 * last finish reason and usage kept. Shared by every native kind, so a non-streamed answer and a
 * streamed one can never disagree about what the model said.
 */
export function completionFromDeltas(deltas: Iterable<UpstreamDelta>, meta: { id: string; model: string; created: number }): ChatCompletion {
  let content = "";
  let reasoning = "";
  let finishReason: string | null = null;
  let usage: Usage | undefined;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  for (const d of deltas) {
    if (d.content !== undefined) content += d.content;
    if (d.reasoning !== undefined) reasoning += d.reasoning;
    if (d.finishReason !== undefined) finishReason = d.finishReason;
    if (d.usage !== undefined) usage = d.usage;
    for (const t of d.toolCalls ?? []) mergeCall(calls, t);
  }
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, c]) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } }));
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: content === "" && toolCalls.length > 0 ? null : content,
          ...(reasoning !== "" && { reasoning_content: reasoning }),
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        finish_reason: finishReason,
      },
    ],
    ...(usage && { usage }),
  };
}

function mergeCall(calls: Map<number, { id: string; name: string; arguments: string }>, t: ToolCallDelta): void {
  const call = calls.get(t.index) ?? { id: "", name: "", arguments: "" };
  if (!call.id && t.id) call.id = t.id;
  if (!call.name && t.function?.name) call.name = t.function.name;
  if (t.function?.arguments) call.arguments += t.function.arguments;
  calls.set(t.index, call);
}

/**
 * Usage in OpenAI's shape. `completion` includes reasoning tokens (as OpenAI counts them), so the
 * cost computed from prompt/completion tokens is what the provider bills.
 */
export function openAiUsage(u: {
  prompt: number;
  completion: number;
  total?: number | undefined;
  reasoning?: number | undefined;
  cached?: number | undefined;
}): Usage {
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.total ?? u.prompt + u.completion,
    ...(u.cached !== undefined && u.cached > 0 && { prompt_tokens_details: { cached_tokens: u.cached } }),
    ...(u.reasoning !== undefined && { completion_tokens_details: { reasoning_tokens: u.reasoning } }),
  };
}
