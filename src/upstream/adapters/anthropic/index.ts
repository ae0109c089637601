import { UpstreamError, errorFields, isRecord, jsonOrUndefined } from "../../errors.js";
import { completionFromDeltas } from "../completion.js";
import { delta } from "../deltas.js";
import type { ProviderAdapter, UpstreamTarget } from "../types.js";
import type { UpstreamDelta } from "../../chunks.js";
import { anthropicBody } from "./request.js";
import { createAnthropicDecoder, finishReason, readUsage, usageOf } from "./stream.js";

export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

function headers(t: UpstreamTarget, accept: string): Record<string, string> {
  return {
    accept,
    "anthropic-version": t.native?.anthropicVersion ?? DEFAULT_ANTHROPIC_VERSION,
    ...(t.apiKey && { "x-api-key": t.apiKey }),
  };
}

/** A non-streamed Message's content blocks, read as the stream would have delivered them. */
function messageDeltas(msg: Record<string, unknown>): UpstreamDelta[] {
  const out: UpstreamDelta[] = [];
  let tool = 0;
  for (const b of Array.isArray(msg.content) ? msg.content.filter(isRecord) : []) {
    if (b.type === "thinking" && typeof b.thinking === "string") out.push(delta({ reasoning: b.thinking }));
    else if (b.type === "text" && typeof b.text === "string") out.push(delta({ content: b.text }));
    else if (b.type === "tool_use" && typeof b.name === "string") {
      const id = typeof b.id === "string" ? b.id : "";
      out.push(delta({ toolCalls: [{ index: tool++, id, type: "function", function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }] }));
    }
  }
  out.push(delta({ finishReason: finishReason(msg.stop_reason), usage: usageOf(readUsage(msg.usage, { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 })) }));
  return out;
}

/**
 * Anthropic Messages API (`POST {base}/v1/messages`): `x-api-key` + `anthropic-version`, SSE with
 * named events, errors as `{"type":"error","error":{"type","message"}}` — the error `type`
 * (`overloaded_error`, `rate_limit_error`, …) becomes our code; 429 and 529 are retried and fail over.
 */
export const anthropicAdapter: ProviderAdapter = {
  kind: "anthropic",
  framing: "sse",
  streamContentTypes: ["text/event-stream"],
  build(target, body, mode, ctx) {
    return {
      url: target.baseUrl + target.path,
      headers: { "content-type": "application/json", ...headers(target, mode === "stream" ? "text/event-stream" : "application/json") },
      body: anthropicBody(body, target.native, mode, ctx),
    };
  },
  decoder: () => createAnthropicDecoder(),
  completion(json, model, _ctx, nowSeconds) {
    if (!isRecord(json) || json.type !== "message") {
      throw new UpstreamError({
        kind: "protocol",
        code: "upstream_bad_body",
        message: "the upstream answered with something that is not an Anthropic message",
      });
    }
    const meta = { id: typeof json.id === "string" ? json.id : "msg", model: typeof json.model === "string" ? json.model : model, created: nowSeconds };
    return completionFromDeltas(messageDeltas(json), meta);
  },
  error(status, text, retryAfterMs) {
    const body = jsonOrUndefined(text);
    const f = errorFields(body);
    return new UpstreamError({
      kind: "http",
      status,
      message: f.message ?? (text.trim().slice(0, 500) || `upstream answered HTTP ${status}`),
      ...(f.type !== undefined && { code: f.type, type: f.type }),
      retryAfterMs,
    });
  },
  modelsRequest: (target) => ({ url: target.baseUrl + target.path.replace(/\/messages\/?$/, "/models"), headers: headers(target, "application/json") }),
  modelIds(json) {
    const data = isRecord(json) && Array.isArray(json.data) ? (json.data as unknown[]) : [];
    return data.flatMap((m) => (isRecord(m) && typeof m.id === "string" ? [m.id] : []));
  },
};
