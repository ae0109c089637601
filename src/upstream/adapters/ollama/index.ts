import { UpstreamError, isRecord, jsonOrUndefined } from "../../errors.js";
import { completionFromDeltas } from "../completion.js";
import type { ProviderAdapter } from "../types.js";
import { ollamaBody } from "./request.js";
import { createOllamaDecoder, readLine } from "./stream.js";

/**
 * Ollama's native API (`POST {base}/api/chat`): no authentication, NDJSON streams
 * (`application/x-ndjson`), errors as `{"error": "…"}` — before the stream as a status, during it
 * as a line. Models and the health probe use `GET {base}/api/tags`.
 */
export const ollamaAdapter: ProviderAdapter = {
  kind: "ollama",
  framing: "ndjson",
  streamContentTypes: ["application/x-ndjson", "application/ndjson", "application/jsonl"],
  build(target, body, mode) {
    return {
      url: target.baseUrl + target.path,
      // A key is sent only when configured: Ollama ignores it, a proxy in front may need it.
      headers: {
        "content-type": "application/json",
        accept: mode === "stream" ? "application/x-ndjson" : "application/json",
        ...(target.apiKey && { authorization: `Bearer ${target.apiKey}` }),
      },
      body: ollamaBody(body, target.native, mode),
    };
  },
  decoder: (ctx) => createOllamaDecoder(ctx),
  completion(json, model, ctx, nowSeconds) {
    if (!isRecord(json) || !isRecord(json.message)) {
      throw new UpstreamError({
        kind: "protocol",
        code: "upstream_bad_body",
        message: "the upstream answered with something that is not an Ollama chat response",
      });
    }
    const { deltas } = readLine(json, ctx, { n: 0 });
    return completionFromDeltas(deltas, { id: `ollama-${ctx.newId()}`, model: typeof json.model === "string" ? json.model : model, created: nowSeconds });
  },
  error(status, text, retryAfterMs) {
    const body = jsonOrUndefined(text);
    const message = isRecord(body) && typeof body.error === "string" ? body.error : text.trim().slice(0, 500) || `upstream answered HTTP ${status}`;
    return new UpstreamError({ kind: "http", status, message, retryAfterMs });
  },
  modelsRequest: (target) => ({
    url: target.baseUrl + target.path.replace(/\/chat\/?$/, "/tags"),
    headers: { accept: "application/json", ...(target.apiKey && { authorization: `Bearer ${target.apiKey}` }) },
  }),
  modelIds(json) {
    const models = isRecord(json) && Array.isArray(json.models) ? (json.models as unknown[]) : [];
    return models.flatMap((m) => (isRecord(m) && typeof m.name === "string" ? [m.name] : []));
  },
};
