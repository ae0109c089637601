/**
 * Ollama's native chat API (`POST /api/chat`): NDJSON (`application/x-ndjson`), streaming unless
 * `stream: false`, `message.thinking` only when `think` is set, `message.tool_calls` with object
 * arguments, a last line with `done: true`, `done_reason` and the eval counts, errors as
 * `{"error": "…"}` — before the stream with a status, during it as a line.
 */
import { isRecord, type Message } from "../requests.js";
import type { Frame } from "../stream.js";
import type { NativeApi } from "./api.js";
import type { NativePlan, NativeRequest } from "./plan.js";
import { joined } from "./plan.js";

const no = (status: number, message: string) => ({ ok: false as const, refusal: { status, message } });
const ROLES = new Set(["system", "user", "assistant", "tool"]);

function read(body: unknown): ReturnType<NativeApi["read"]> {
  if (!isRecord(body)) return no(400, "invalid character looking for beginning of value");
  if (typeof body.model !== "string" || body.model === "") return no(400, "model is required");
  // How a test asks for a model that is not pulled.
  if (body.model.includes("missing")) return no(404, `model "${body.model}" not found, try pulling it first`);
  const thinking = body.think === true || body.think === "low" || body.think === "medium" || body.think === "high";
  if (thinking && body.model.endsWith("-nothink")) return no(400, `"${body.model}" does not support thinking`);
  const raw = Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
  const bad = raw.find((m) => !ROLES.has(String(m.role)));
  if (bad) return no(400, `invalid role: ${String(bad.role)}`);
  if (
    raw.some((m) => Array.isArray(m.tool_calls) && m.tool_calls.filter(isRecord).some((c) => isRecord(c.function) && typeof c.function.arguments === "string"))
  ) {
    return no(
      400,
      "json: cannot unmarshal string into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments",
    );
  }
  const messages: Message[] = raw.map((m) => ({ role: String(m.role), text: typeof m.content === "string" ? m.content : "" }));
  const toolNames = Array.isArray(body.tools)
    ? body.tools.filter(isRecord).flatMap((t) => (isRecord(t.function) && typeof t.function.name === "string" ? [t.function.name] : []))
    : [];
  return { ok: true, req: { model: body.model, stream: body.stream !== false, messages, toolNames, thinking } };
}

const line = (req: NativeRequest, message: Record<string, unknown>): Record<string, unknown> => ({
  model: req.model,
  created_at: new Date().toISOString(),
  message: { role: "assistant", content: "", ...message },
  done: false,
});

function last(plan: NativePlan, req: NativeRequest, message: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...line(req, message),
    done: true,
    done_reason: "stop",
    total_duration: 1_200_000_000,
    load_duration: 20_000_000,
    prompt_eval_count: plan.usage.input,
    prompt_eval_duration: 100_000_000,
    eval_count: plan.usage.output,
    eval_duration: 1_000_000_000,
  };
}

const toolCall = (s: { name: string; args: Record<string, unknown> }) => ({ function: { name: s.name, arguments: s.args } });

function frames(plan: NativePlan, req: NativeRequest): Frame[] {
  const out: Frame[] = plan.steps.map((s) => {
    if (s.type === "tool") return { data: line(req, { tool_calls: [toolCall(s)] }), delayMs: 0 };
    return { data: line(req, s.type === "reasoning" ? { thinking: s.text } : { content: s.text }), delayMs: s.delayMs };
  });
  out.push({ data: last(plan, req), delayMs: 0, terminal: true });
  return out;
}

function body(plan: NativePlan, req: NativeRequest): unknown {
  const reasoning = joined(plan, "reasoning");
  const calls = plan.steps.flatMap((s) => (s.type === "tool" ? [toolCall(s)] : []));
  return last(plan, req, { content: joined(plan, "answer"), ...(reasoning && { thinking: reasoning }), ...(calls.length > 0 && { tool_calls: calls }) });
}

export const ollamaApi: NativeApi = {
  name: "ollama",
  format: "ndjson",
  contentType: "application/x-ndjson",
  read: (_info, b) => read(b),
  error(status, message, retryAfterSeconds) {
    const headers: Record<string, string> = {};
    if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
    return { body: { error: message }, headers };
  },
  frames,
  errorFrame: { data: { error: "an error was encountered while running the model" } },
  body,
};
