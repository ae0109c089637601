/**
 * The Anthropic Messages API (`POST /v1/messages`), as its public reference describes it: named
 * SSE events (message_start, content_block_start/delta/stop, message_delta, message_stop, ping,
 * error), `thinking` blocks only when `thinking` is enabled, `tool_use` blocks with their input
 * streamed as `input_json_delta`, errors as `{"type":"error","error":{"type","message"}}` with 529
 * `overloaded_error`. It also refuses what the real API refuses, so a translation bug shows up here.
 */
import { isRecord, type Message } from "../requests.js";
import { cutEvery } from "../scenarios.js";
import type { Frame } from "../stream.js";
import type { NativeApi, Refusal } from "./api.js";
import type { NativePlan } from "./plan.js";
import { joined } from "./plan.js";

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

const no = (status: number, message: string): { ok: false; refusal: Refusal } => ({ ok: false, refusal: { status, message } });

/** Text of a content field: a string, or text blocks and tool_result contents. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter(isRecord)
    .map((b) => (b.type === "text" && typeof b.text === "string" ? b.text : b.type === "tool_result" ? contentText(b.content) : ""))
    .filter((t) => t !== "")
    .join("\n");
}

const blocks = (content: unknown): Record<string, unknown>[] => (Array.isArray(content) ? content.filter(isRecord) : []);

/** Every `tool_result` must answer a `tool_use` of the message right before it (the API's own rule). */
function orphanToolResult(messages: Record<string, unknown>[]): string | undefined {
  for (const [i, m] of messages.entries()) {
    const prev = messages[i - 1];
    const uses = new Set(
      prev?.role === "assistant" ? blocks(prev.content).flatMap((b) => (b.type === "tool_use" && typeof b.id === "string" ? [b.id] : [])) : [],
    );
    for (const b of blocks(m.content)) {
      if (b.type === "tool_result" && !uses.has(String(b.tool_use_id))) {
        return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
  }
  return undefined;
}

/**
 * With thinking on, a tool loop in progress (the last message answers the assistant's tool_use)
 * must hand back that assistant turn's thinking block first; the index of a turn that does not.
 */
function loopWithoutThinking(messages: Record<string, unknown>[]): number | undefined {
  const last = messages.at(-1);
  const prev = messages.length - 2;
  const assistant = messages[prev];
  if (!last || last.role !== "user" || !blocks(last.content).some((b) => b.type === "tool_result") || assistant?.role !== "assistant") return undefined;
  const first = blocks(assistant.content)[0];
  return first?.type === "thinking" || first?.type === "redacted_thinking" ? undefined : prev;
}

function read(headers: Record<string, string>, body: unknown): ReturnType<NativeApi["read"]> {
  if (!headers["anthropic-version"]) return no(400, "anthropic-version: header is required");
  if (!headers["x-api-key"]) return no(401, "x-api-key header is required");
  if (!isRecord(body)) return no(400, "There was an error parsing the body of your request");
  if (typeof body.model !== "string" || body.model === "") return no(400, "model: Field required");
  if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) return no(400, "max_tokens: Field required");
  if (!Array.isArray(body.messages) || body.messages.length === 0) return no(400, "messages: at least one message is required");
  const messages = body.messages.filter(isRecord);
  const badRole = messages.findIndex((m) => m.role !== "user" && m.role !== "assistant");
  if (badRole !== -1) return no(400, `messages.${badRole}.role: Input should be 'user' or 'assistant'`);
  const orphan = orphanToolResult(messages);
  if (orphan) return no(400, orphan);
  const thinking = isRecord(body.thinking) && body.thinking.type === "enabled";
  if (thinking) {
    const budget = (body.thinking as Record<string, unknown>).budget_tokens;
    if (typeof budget !== "number" || budget < 1024) return no(400, "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
    if (body.max_tokens <= budget) return no(400, "`max_tokens` must be greater than `thinking.budget_tokens`");
    if (body.temperature !== undefined && body.temperature !== 1) return no(400, "`temperature` may only be set to 1 when thinking is enabled");
    const unsigned = loopWithoutThinking(messages);
    if (unsigned !== undefined) {
      return no(
        400,
        `messages.${unsigned}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`tool_use\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block.`,
      );
    }
  }
  if (typeof body.temperature === "number" && (body.temperature < 0 || body.temperature > 1))
    return no(400, "temperature: Input should be less than or equal to 1");
  const system = contentText(body.system);
  const list: Message[] = [
    ...(system ? [{ role: "system", text: system }] : []),
    ...messages.map((m) => ({ role: String(m.role), text: contentText(m.content) })),
  ];
  const toolNames = Array.isArray(body.tools) ? body.tools.filter(isRecord).flatMap((t) => (typeof t.name === "string" ? [t.name] : [])) : [];
  return { ok: true, req: { model: body.model, stream: body.stream === true, messages: list, toolNames, thinking } };
}

const STOP_REASONS = { stop: "end_turn", tool_calls: "tool_use" } as const;

function usage(plan: NativePlan, output: number) {
  return { input_tokens: plan.usage.input, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output };
}

function frames(plan: NativePlan, req: { model: string }, id: string): Frame[] {
  const out: Frame[] = [];
  const ev = (event: string, data: Record<string, unknown>, delayMs = 0, terminal = false): void => {
    out.push({ event, data: { type: event, ...data }, delayMs, ...(terminal && { terminal }) });
  };
  ev("message_start", {
    message: { id, type: "message", role: "assistant", content: [], model: req.model, stop_reason: null, stop_sequence: null, usage: usage(plan, 1) },
  });
  ev("ping", {});
  let index = -1;
  let open: "thinking" | "text" | undefined;
  const close = (): void => {
    if (open === "thinking") ev("content_block_delta", { index, delta: { type: "signature_delta", signature: "bW9jay1zaWduYXR1cmU=" } });
    if (open !== undefined) ev("content_block_stop", { index });
    open = undefined;
  };
  for (const step of plan.steps) {
    if (step.type === "tool") {
      close();
      index++;
      ev("content_block_start", { index, content_block: { type: "tool_use", id: `toolu_${id}_${index}`, name: step.name, input: {} } });
      const json = JSON.stringify(step.args);
      // The input arrives as fragments of JSON text, split anywhere.
      for (const part of cutEvery(json, Math.ceil(json.length / 3)))
        ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: part } });
      ev("content_block_stop", { index });
      continue;
    }
    const kind = step.type === "reasoning" ? "thinking" : "text";
    if (open !== kind) {
      close();
      index++;
      open = kind;
      ev("content_block_start", { index, content_block: kind === "thinking" ? { type: "thinking", thinking: "", signature: "" } : { type: "text", text: "" } });
    }
    ev(
      "content_block_delta",
      { index, delta: kind === "thinking" ? { type: "thinking_delta", thinking: step.text } : { type: "text_delta", text: step.text } },
      step.delayMs,
    );
  }
  close();
  ev("message_delta", { delta: { stop_reason: STOP_REASONS[plan.finish], stop_sequence: null }, usage: { output_tokens: plan.usage.output } });
  ev("message_stop", {}, 0, true);
  return out;
}

function body(plan: NativePlan, req: { model: string }, id: string): unknown {
  const content: Record<string, unknown>[] = [];
  const reasoning = joined(plan, "reasoning");
  if (reasoning) content.push({ type: "thinking", thinking: reasoning, signature: "bW9jay1zaWduYXR1cmU=" });
  const answer = joined(plan, "answer");
  if (answer) content.push({ type: "text", text: answer });
  plan.steps.forEach((s, i) => {
    if (s.type === "tool") content.push({ type: "tool_use", id: `toolu_${id}_${i}`, name: s.name, input: s.args });
  });
  return {
    id,
    type: "message",
    role: "assistant",
    model: req.model,
    content,
    stop_reason: STOP_REASONS[plan.finish],
    stop_sequence: null,
    usage: usage(plan, plan.usage.output),
  };
}

export const anthropicApi: NativeApi = {
  name: "anthropic",
  format: "sse",
  contentType: "text/event-stream; charset=utf-8",
  read: (info, b) => read(info.headers, b),
  error(status, message, retryAfterSeconds) {
    const type = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
    const headers: Record<string, string> = { "request-id": `req_mock_${Date.now()}` };
    if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
    return { body: { type: "error", error: { type, message }, request_id: headers["request-id"] }, headers };
  },
  frames,
  errorFrame: { event: "error", data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } },
  body,
};
