import { UpstreamError, isRecord, jsonOrUndefined } from "../../errors.js";
import { completionFromDeltas } from "../completion.js";
import type { ProviderAdapter, UpstreamTarget } from "../types.js";
import { geminiBody } from "./request.js";
import { createGeminiDecoder, errorParts, readResponse } from "./stream.js";

const keyHeader = (t: UpstreamTarget): Record<string, string> => (t.apiKey ? { "x-goog-api-key": t.apiKey } : {});

/** `gemini-2.5-flash` or `models/gemini-2.5-flash` → the path segment after `/models/`. */
const modelSegment = (model: string) => encodeURIComponent(model.replace(/^models\//, ""));

/**
 * Gemini API (`{base}/v1beta/models/{model}:streamGenerateContent?alt=sse`, `:generateContent`):
 * `x-goog-api-key`, errors as `{"error":{"code","message","status"}}` with the status as our
 * code, and a 429's RetryInfo delay honoured like a Retry-After header.
 */
export const geminiAdapter: ProviderAdapter = {
  kind: "gemini",
  framing: "sse",
  streamContentTypes: ["text/event-stream"],
  build(target, body, mode) {
    const model = typeof body.model === "string" ? body.model : "";
    const method = mode === "stream" ? ":streamGenerateContent?alt=sse" : ":generateContent";
    return {
      url: `${target.baseUrl}${target.path}/models/${modelSegment(model)}${method}`,
      headers: { "content-type": "application/json", accept: mode === "stream" ? "text/event-stream" : "application/json", ...keyHeader(target) },
      body: geminiBody(body, target.native, mode),
    };
  },
  decoder: (ctx) => createGeminiDecoder(ctx),
  completion(json, model, ctx, nowSeconds) {
    if (!isRecord(json) || (!Array.isArray(json.candidates) && !isRecord(json.promptFeedback))) {
      throw new UpstreamError({ kind: "protocol", code: "upstream_bad_body", message: "the upstream answered with something that is not a Gemini response" });
    }
    let tools = 0;
    const deltas = readResponse(
      json,
      ctx,
      () => tools++,
      () => tools > 0,
    );
    const id = typeof json.responseId === "string" ? json.responseId : `gemini-${ctx.newId()}`;
    return completionFromDeltas(deltas, { id, model: typeof json.modelVersion === "string" ? json.modelVersion : model, created: nowSeconds });
  },
  error(status, text, headerDelayMs) {
    const body = jsonOrUndefined(text);
    const e = errorParts(body);
    const retryAfterMs = headerDelayMs ?? e.retryDelayMs;
    return new UpstreamError({
      kind: "http",
      status,
      message: e.message ?? (text.trim().slice(0, 500) || `upstream answered HTTP ${status}`),
      ...(e.status !== undefined && { code: e.status.toLowerCase(), type: e.status }),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
      param: e.param,
      ...(e.badKey && { credentialsRefused: true }),
    });
  },
  modelsRequest: (target) => ({ url: `${target.baseUrl}${target.path}/models`, headers: { accept: "application/json", ...keyHeader(target) } }),
  modelIds(json) {
    const models = isRecord(json) && Array.isArray(json.models) ? (json.models as unknown[]) : [];
    return models.flatMap((m) => (isRecord(m) && typeof m.name === "string" ? [m.name.replace(/^models\//, "")] : []));
  },
};
