/**
 * The Gemini API (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse` and
 * `:generateContent`): every SSE `data:` a whole GenerateContentResponse, parts with `thought: true`
 * only when `thinkingConfig.includeThoughts` was asked for, `functionCall` parts without ids,
 * cumulative `usageMetadata` (with `thoughtsTokenCount`), no end marker, errors as
 * `{"error":{"code","message","status"}}` and a 429's RetryInfo delay in its details.
 */
import { isRecord, type Message } from "../requests.js";
import type { Frame } from "../stream.js";
import type { NativeApi, RequestInfo } from "./api.js";
import type { NativePlan, NativeRequest } from "./plan.js";
import { joined } from "./plan.js";

const STATUSES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** `/v1beta/models/gemini-x:streamGenerateContent` → model and method. */
export const GEMINI_PATH = /\/models\/([^/:]+):(streamGenerateContent|generateContent)$/;

const no = (status: number, message: string) => ({ ok: false as const, refusal: { status, message } });

function partsText(parts: unknown): string {
  if (!Array.isArray(parts)) return "";
  return parts
    .filter(isRecord)
    .map((p) => (typeof p.text === "string" ? p.text : isRecord(p.functionResponse) ? JSON.stringify(p.functionResponse.response ?? {}) : ""))
    .filter((t) => t !== "")
    .join("\n");
}

function read(info: RequestInfo, body: unknown): ReturnType<NativeApi["read"]> {
  const m = GEMINI_PATH.exec(info.path);
  if (!m) return no(404, `Method not found: ${info.path}`);
  if (!info.headers["x-goog-api-key"] && !info.query.get("key")) {
    return no(
      403,
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  if (!isRecord(body)) return no(400, "Invalid JSON payload received.");
  if (!Array.isArray(body.contents) || body.contents.length === 0) return no(400, "* GenerateContentRequest.contents: contents is not specified");
  const contents = body.contents.filter(isRecord);
  if (contents.some((c) => c.role !== "user" && c.role !== "model")) return no(400, "Please use a valid role: user, model.");
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const declarations = tools.flatMap((t) => (Array.isArray(t.functionDeclarations) ? t.functionDeclarations.filter(isRecord) : []));
  if (declarations.some((d) => d.parameters !== undefined && d.parametersJsonSchema !== undefined)) {
    return no(400, "* GenerateContentRequest.tools[0].function_declarations[0]: parameters and parameters_json_schema are mutually exclusive");
  }
  const named = contents.every((c) =>
    (Array.isArray(c.parts) ? c.parts.filter(isRecord) : []).every((p) => !isRecord(p.functionResponse) || typeof p.functionResponse.name === "string"),
  );
  if (!named) return no(400, "* GenerateContentRequest.contents: function_response.name: Name cannot be empty.");
  const config = isRecord(body.generationConfig) ? body.generationConfig : {};
  const thinking = isRecord(config.thinkingConfig) && config.thinkingConfig.includeThoughts === true;
  const system = isRecord(body.systemInstruction) ? partsText(body.systemInstruction.parts) : "";
  const messages: Message[] = [
    ...(system ? [{ role: "system", text: system }] : []),
    ...contents.map((c) => ({ role: c.role === "model" ? "assistant" : "user", text: partsText(c.parts) })),
  ];
  const toolNames = declarations.flatMap((d) => (typeof d.name === "string" ? [d.name] : []));
  return { ok: true, req: { model: m[1] as string, stream: m[2] === "streamGenerateContent", messages, toolNames, thinking } };
}

const FINISH = { stop: "STOP", tool_calls: "STOP" } as const;

function usageMetadata(plan: NativePlan, done: boolean): Record<string, unknown> {
  if (!done) return { promptTokenCount: plan.usage.input, totalTokenCount: plan.usage.input };
  const candidates = plan.usage.output - plan.usage.reasoning;
  return {
    promptTokenCount: plan.usage.input,
    candidatesTokenCount: candidates,
    totalTokenCount: plan.usage.input + plan.usage.output,
    ...(plan.usage.reasoning > 0 && { thoughtsTokenCount: plan.usage.reasoning }),
  };
}

function response(parts: Record<string, unknown>[], plan: NativePlan, req: NativeRequest, id: string, done: boolean): Record<string, unknown> {
  return {
    candidates: [{ content: { parts, role: "model" }, ...(done && { finishReason: FINISH[plan.finish] }), index: 0 }],
    usageMetadata: usageMetadata(plan, done),
    modelVersion: req.model,
    responseId: id,
  };
}

function partOf(step: NativePlan["steps"][number]): Record<string, unknown> {
  if (step.type === "tool") return { functionCall: { name: step.name, args: step.args } };
  return step.type === "reasoning" ? { text: step.text, thought: true } : { text: step.text };
}

function frames(plan: NativePlan, req: NativeRequest, id: string, opts: { withoutEnd?: boolean } = {}): Frame[] {
  // The last chunk carries the finish reason and the final usage, as the real stream does; under
  // omitDone it never comes, as when a connection is cut between chunks.
  return plan.steps.map((step, i) => ({
    data: response([partOf(step)], plan, req, id, i === plan.steps.length - 1 && opts.withoutEnd !== true),
    delayMs: step.type === "tool" ? 0 : step.delayMs,
  }));
}

function body(plan: NativePlan, req: NativeRequest, id: string): Record<string, unknown> {
  const parts: Record<string, unknown>[] = [];
  const reasoning = joined(plan, "reasoning");
  if (reasoning) parts.push({ text: reasoning, thought: true });
  const answer = joined(plan, "answer");
  if (answer) parts.push({ text: answer });
  for (const s of plan.steps) if (s.type === "tool") parts.push(partOf(s));
  return response(parts, plan, req, id, true);
}

export const geminiApi: NativeApi = {
  name: "gemini",
  format: "sse",
  contentType: "text/event-stream",
  read,
  error(status, message, retryAfterSeconds) {
    const details =
      status === 429 && retryAfterSeconds !== undefined
        ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfterSeconds}s` }]
        : undefined;
    const error = { code: status, message, status: STATUSES[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION"), ...(details && { details }) };
    return { body: { error }, headers: {} };
  },
  frames,
  errorFrame: {
    data: {
      error: {
        code: 500,
        message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
        status: "INTERNAL",
      },
    },
  },
  body,
  // Without alt=sse the stream is one JSON array of responses, which is not an event stream.
  unstreamed(info, plan, req, id) {
    if (info.query.get("alt") === "sse") return undefined;
    return Response.json(frames(plan, req, id).map((f) => f.data));
  },
};
