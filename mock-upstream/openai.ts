import type { ScriptMessage } from "./scenarios.js";

/** The OpenAI error body every failure of the mock uses. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string; param?: string };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details?: { reasoning_tokens: number };
}

/** The error type and code a real OpenAI-compatible server would pair with a status. */
function errorKind(status: number): { type: string; code: string } {
  if (status === 400) return { type: "invalid_request_error", code: "bad_request" };
  if (status === 401) return { type: "authentication_error", code: "invalid_api_key" };
  if (status === 403) return { type: "permission_error", code: "forbidden" };
  if (status === 404) return { type: "not_found_error", code: "not_found" };
  if (status === 409) return { type: "invalid_request_error", code: "conflict" };
  if (status === 429) return { type: "rate_limit_error", code: "rate_limit_exceeded" };
  if (status === 503) return { type: "service_unavailable", code: "service_unavailable" };
  if (status >= 500) return { type: "server_error", code: "server_error" };
  return { type: "invalid_request_error", code: "mock_error" };
}

/** Build an OpenAI-shaped error body; `code` overrides the one derived from the status; `param` names the field at fault. */
export function errorBody(status: number, message: string, code?: string, param?: string): OpenAIErrorBody {
  const kind = errorKind(status);
  return { error: { message, type: kind.type, code: code ?? kind.code, ...(param !== undefined && { param }) } };
}

/** A crude but stable token estimate (about four characters a token), enough for usage fields. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.round(text.length / 4));
}

/** Usage for a completion that read `promptText` and wrote `message`. */
export function usageFor(promptText: string, message: ScriptMessage): Usage {
  const reasoning = message.reasoning_content ?? message.reasoning;
  const prompt = estimateTokens(promptText);
  const completion = estimateTokens(message.content) + estimateTokens(reasoning ?? "");
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (reasoning !== undefined) usage.completion_tokens_details = { reasoning_tokens: estimateTokens(reasoning) };
  return usage;
}

/** The fields every chunk and completion of one call share. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

/** A `chat.completion.chunk` with one choice. */
export function chunk(who: CompletionIdentity, delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
  return {
    id: who.id,
    object: "chat.completion.chunk",
    created: who.created,
    model: who.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** The trailing usage chunk OpenAI sends with `stream_options.include_usage`: no choices. */
export function usageChunk(who: CompletionIdentity, usage: Usage): Record<string, unknown> {
  return { id: who.id, object: "chat.completion.chunk", created: who.created, model: who.model, choices: [], usage };
}

/** A non-streamed `chat.completion`. */
export function completion(who: CompletionIdentity, message: ScriptMessage | Record<string, unknown>, usage: Usage): Record<string, unknown> {
  return {
    id: who.id,
    object: "chat.completion",
    created: who.created,
    model: who.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", ...message },
        finish_reason: "tool_calls" in message && Array.isArray(message.tool_calls) ? "tool_calls" : "stop",
      },
    ],
    usage,
  };
}
