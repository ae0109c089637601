import type { UpstreamDelta } from "../chunks.js";
import type { UpstreamError } from "../errors.js";
import type { Frame, Framing } from "../framing.js";
import type { NativeOptions, ProviderKind } from "../kinds.js";

/** Where to send a call: one provider's base URL, chat path, key and wire protocol. */
export interface UpstreamTarget {
  baseUrl: string;
  path: string;
  apiKey: string | undefined;
  /** Which API the provider speaks; absent = `openai` (every OpenAI-compatible server). */
  kind?: ProviderKind | undefined;
  /** Settings of the native APIs (thinking budget, API version, …) from the providers file. */
  native?: NativeOptions | undefined;
}

/** Whether the call streams (the main completion) or not (summaries). */
export type CallMode = "stream" | "complete";

/** One HTTP request, ready to send. */
export interface BuiltRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** What an adapter may need besides the request: a source of ids for tool calls the API leaves unnamed. */
export interface AdapterContext {
  newId: () => string;
}

/**
 * Reads one stream's frames. Stateful (block indexes, tool-call numbering, usage halves), so one
 * per stream. `push` returns the deltas a frame makes and whether the stream is complete.
 */
export interface StreamDecoder {
  push(frame: Frame): { deltas: UpstreamDelta[]; done: boolean };
  /**
   * The body ended. Throws when the API promises an explicit end (Anthropic `message_stop`, Ollama
   * `done: true`) that never came: a cut stream must not pass for a complete answer.
   */
  end(): UpstreamDelta[];
}

/**
 * One provider kind's API, as the client needs it. Everything kind-specific lives behind this, so
 * the transport (retries, timeouts, bounded framing, abort) is written once.
 */
export interface ProviderAdapter {
  kind: ProviderKind;
  framing: Framing;
  /** Media types a streamed 200 may carry; anything else is `upstream_not_event_stream`. */
  streamContentTypes: readonly string[];
  /**
   * Translate an OpenAI chat body into this API's request. Throws an UpstreamError of kind
   * `request` when the body cannot be expressed (the client's 400, never a provider failure).
   */
  build(target: UpstreamTarget, body: Record<string, unknown>, mode: CallMode, ctx: AdapterContext): BuiltRequest;
  decoder(ctx: AdapterContext): StreamDecoder;
  /** A non-streamed answer as an OpenAI `chat.completion` object (what summaries read). */
  completion(json: unknown, model: string, ctx: AdapterContext, nowSeconds: number): unknown;
  /**
   * A non-2xx answer in this API's error shape → an UpstreamError with the right retryability.
   * `retryAfterMs` is what the response headers asked for (`retry-after-ms`, `Retry-After`).
   */
  error(status: number, text: string, retryAfterMs: number | undefined): UpstreamError;
  /** `GET` here lists models and doubles as the health probe. */
  modelsRequest(target: UpstreamTarget): { url: string; headers: Record<string, string> };
  /** The model ids in that listing. */
  modelIds(json: unknown): string[];
}
