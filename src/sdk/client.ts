import { createParser } from "eventsource-parser";
import type { StagedEvent } from "../events/index.js";
import { describeNetworkError, GatewayHttpError, GatewayStreamError, GatewayUnreachableError } from "./errors.js";
import { parseStagedEvent, type ParsedEvent } from "./events.js";

/*
 * The staged dialect's client: plain fetch + eventsource-parser, so it runs unchanged in Node
 * and in the browser (the playground bundles it). Nothing here touches `process`.
 */

export interface StagedClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8000` (a trailing `/v1/...` path is not needed). */
  baseUrl: string;
  apiKey?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** An OpenAI chat body; `summary_model` and the other gateway extensions are welcome. */
export type ChatBody = { model: string; messages: unknown[] } & Record<string, unknown>;

export interface StreamOptions {
  signal?: AbortSignal;
  /** Called once the response headers are in. */
  onOpen?(info: { requestId: string | undefined; provider: string | undefined; resumable: boolean }): void;
  /** Events this client version does not know, or could not read; skipped otherwise. */
  onSkipped?(parsed: Exclude<ParsedEvent, { kind: "event" }>): void;
  /**
   * When the connection breaks mid-stream and the gateway keeps streams resumable
   * (RESUME_GRACE_SECONDS > 0), reconnect with `Last-Event-ID` up to this many times and go on
   * where the stream stopped, every event exactly once. Default 0 (a broken stream throws).
   */
  resumeAttempts?: number;
}

/** The `stream:false` answer: a chat.completion with the two summaries beside `choices`. */
export interface StagedCompletion {
  id: string;
  object: "chat.completion";
  model: string;
  choices: { index: number; message: { role: "assistant"; content: string | null; tool_calls?: unknown[] }; finish_reason: string }[];
  usage?: Record<string, unknown>;
  prompt_summary: { text: string; source: string } | null;
  reasoning_summary: { text: string; source: string } | null;
  [key: string]: unknown;
}

export interface StagedClient {
  /**
   * The raw messages of a streamed request, including events this version does not know
   * (`kind: "unknown"`) or could not read (`kind: "malformed"`); for tools that print everything.
   */
  messages(body: ChatBody, options?: Omit<StreamOptions, "onSkipped">): AsyncGenerator<ParsedEvent, void, undefined>;
  /**
   * Stream one request's staged events. The loop ends normally only after `output.done`; a stream
   * that ends without it throws {@link GatewayStreamError}. Breaking out of the loop (or aborting
   * `signal`) closes the connection, which makes the gateway cancel the upstream call.
   */
  stream(body: ChatBody, options?: StreamOptions): AsyncGenerator<StagedEvent, void, undefined>;
  /** One `stream:false` request. */
  complete(body: ChatBody, options?: { signal?: AbortSignal }): Promise<StagedCompletion>;
  /** The events of a running (or just finished) request after event `after`, then the live rest. */
  resume(requestId: string, after: number, options?: { signal?: AbortSignal }): AsyncGenerator<ParsedEvent, void, undefined>;
  /** End a request now, wherever it runs (resumable streams outlive their connection for a while). */
  cancel(requestId: string, options?: { signal?: AbortSignal }): Promise<void>;
}

export function createStagedClient(options: StagedClientOptions): StagedClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const url = `${base}/v1/chat/completions`;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const headers = (accept: string): Record<string, string> => ({
    "content-type": "application/json",
    accept,
    ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }),
  });

  async function post(body: Record<string, unknown>, accept: string, signal: AbortSignal | undefined): Promise<Response> {
    let res: Response;
    try {
      res = await doFetch(url, { method: "POST", headers: headers(accept), body: JSON.stringify(body), ...(signal && { signal }) });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new GatewayUnreachableError(url, describeNetworkError(err));
    }
    if (!res.ok) throw await httpError(res);
    return res;
  }

  async function get(path: string, signal: AbortSignal | undefined, extra: Record<string, string> = {}): Promise<Response> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, { headers: { ...headers("text/event-stream"), ...extra }, ...(signal && { signal }) });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new GatewayUnreachableError(`${base}${path}`, describeNetworkError(err));
    }
    if (!res.ok) throw await httpError(res);
    return res;
  }

  async function* resume(requestId: string, after: number, opts: { signal?: AbortSignal } = {}): AsyncGenerator<ParsedEvent, void, undefined> {
    const res = await get(`/v1/requests/${encodeURIComponent(requestId)}/stream`, opts.signal, { "last-event-id": String(after) });
    yield* readMessages(res, requestId);
  }

  async function* messages(body: ChatBody, opts: Omit<StreamOptions, "onSkipped"> = {}): AsyncGenerator<ParsedEvent, void, undefined> {
    const res = await post({ ...body, stream: true }, "text/event-stream", opts.signal);
    const requestId = res.headers.get("x-request-id") ?? undefined;
    opts.onOpen?.({ requestId, provider: res.headers.get("x-gateway-provider") ?? undefined, resumable: res.headers.get("x-resumable") === "true" });
    yield* readMessages(res, requestId);
  }

  return {
    messages,
    resume,

    async cancel(requestId, opts = {}) {
      let res: Response;
      try {
        res = await doFetch(`${base}/v1/requests/${encodeURIComponent(requestId)}/cancel`, {
          method: "POST",
          headers: headers("application/json"),
          ...(opts.signal && { signal: opts.signal }),
        });
      } catch (err) {
        throw new GatewayUnreachableError(base, describeNetworkError(err));
      }
      if (!res.ok) throw await httpError(res);
      await res.body?.cancel();
    },

    async *stream(body, opts = {}) {
      let requestId: string | undefined;
      // The id of the last event received: where a reconnect picks up.
      let lastId = 0;
      let resumesLeft = opts.resumeAttempts ?? 0;
      let done = false;
      let lastError: Extract<StagedEvent, { event: "error" }>["data"] | undefined;
      const onOpen = (info: { requestId: string | undefined; provider: string | undefined; resumable: boolean }) => {
        requestId = info.requestId;
        opts.onOpen?.(info);
      };
      let source: AsyncGenerator<ParsedEvent, void, undefined> = messages(body, { ...(opts.signal && { signal: opts.signal }), onOpen });
      for (;;) {
        try {
          for await (const parsed of source) {
            if (parsed.id !== undefined && /^\d+$/.test(parsed.id)) lastId = Number(parsed.id);
            if (parsed.kind !== "event") {
              opts.onSkipped?.(parsed);
              continue;
            }
            const ev = parsed.event;
            if (ev.event === "error" && ev.data.stage === "upstream") lastError = ev.data;
            if (ev.event === "output.done") done = true;
            yield ev;
          }
          break;
        } catch (e) {
          // A broken connection on a resumable stream: reconnect after the last event we saw.
          const resumable = e instanceof GatewayStreamError && e.code === "connection_lost" && requestId !== undefined && lastId > 0 && !opts.signal?.aborted;
          if (!resumable || resumesLeft-- <= 0) throw e;
          source = resume(requestId as string, lastId, { ...(opts.signal && { signal: opts.signal }) });
        }
      }
      if (!done) {
        throw lastError
          ? new GatewayStreamError(lastError.message, lastError.code, requestId, lastError.retryable)
          : new GatewayStreamError("the stream ended before output.done", "stream_incomplete", requestId, true);
      }
    },

    async complete(body, opts = {}) {
      const res = await post({ ...body, stream: false }, "application/json", opts.signal);
      return (await res.json()) as StagedCompletion;
    },
  };
}

/** Every SSE message of a response as a parsed staged event, in order. */
export async function* readMessages(res: Response, requestId?: string): AsyncGenerator<ParsedEvent, void, undefined> {
  if (!res.body) throw new GatewayHttpError(res.status, "the response has no body", undefined, requestId);
  const queue: ParsedEvent[] = [];
  const parser = createParser({ onEvent: (msg) => queue.push(parseStagedEvent(msg.event, msg.data, msg.id)) });
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  // `stream: true` keeps a multi-byte character split across chunks intact.
  const decoder = new TextDecoder();
  try {
    for (;;) {
      let chunk: { done: boolean; value?: Uint8Array | undefined };
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new GatewayStreamError(`the connection broke mid-stream: ${describeNetworkError(err)}`, "connection_lost", requestId, true);
      }
      if (chunk.done || !chunk.value) break;
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      while (queue.length > 0) yield queue.shift() as ParsedEvent;
    }
    parser.feed(decoder.decode());
    while (queue.length > 0) yield queue.shift() as ParsedEvent;
  } finally {
    // On an early exit (abort, break, handler error) this closes the socket so the gateway sees the disconnect.
    await reader.cancel().catch(() => undefined);
  }
}

/** Pull `error.message`/`error.code` out of an OpenAI-shaped error body, or fall back to the text. */
async function httpError(res: Response): Promise<GatewayHttpError> {
  const requestId = res.headers.get("x-request-id") ?? undefined;
  const retryAfterHeader = Number(res.headers.get("retry-after"));
  const retryAfter = Number.isFinite(retryAfterHeader) && retryAfterHeader > 0 ? retryAfterHeader : undefined;
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    const message = body.error?.message;
    const code = body.error?.code;
    if (typeof message === "string") return new GatewayHttpError(res.status, message, typeof code === "string" ? code : undefined, requestId, retryAfter);
  } catch {
    // Not JSON: a proxy's HTML page or plain text; show its start below.
  }
  const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return new GatewayHttpError(res.status, snippet || res.statusText || "no message", undefined, requestId, retryAfter);
}
