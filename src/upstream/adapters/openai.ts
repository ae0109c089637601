import { readChunk } from "../chunks.js";
import { errorFromAnswer, isRecord } from "../errors.js";
import { parseFrame } from "./deltas.js";
import type { ProviderAdapter, StreamDecoder, UpstreamTarget } from "./types.js";

const bearer = (t: UpstreamTarget): Record<string, string> => (t.apiKey ? { authorization: `Bearer ${t.apiKey}` } : {});

const OPENAI_DECODER: StreamDecoder = {
  push(frame) {
    if (frame.data === "[DONE]") return { deltas: [], done: true };
    const d = readChunk(parseFrame(frame.data));
    return { deltas: d ? [d] : [], done: false };
  },
  end: () => [],
};

/**
 * OpenAI-compatible chat completions: the body goes through as the pipeline built it (unknown
 * fields included), SSE chunks are read by `readChunk`, `[DONE]` ends the stream — and a server
 * that never sends it ends at EOF, as many do.
 */
export const openaiAdapter: ProviderAdapter = {
  kind: "openai",
  framing: "sse",
  streamContentTypes: ["text/event-stream"],
  build(target, body, mode) {
    return {
      url: target.baseUrl + target.path,
      headers: { "content-type": "application/json", accept: mode === "stream" ? "text/event-stream" : "application/json", ...bearer(target) },
      body,
    };
  },
  // Holds nothing between frames: one decoder for every stream.
  decoder: () => OPENAI_DECODER,
  completion: (json) => json,
  error: (status, text, retryAfterMs) => errorFromAnswer(status, text, retryAfterMs),
  modelsRequest: (target) => ({ url: `${target.baseUrl}/models`, headers: { accept: "application/json", ...bearer(target) } }),
  modelIds(json) {
    const data = isRecord(json) && Array.isArray(json.data) ? (json.data as unknown[]) : [];
    return data.flatMap((m) => (isRecord(m) && typeof m.id === "string" ? [m.id] : []));
  },
};
