import { randomUUID } from "node:crypto";
import { Agent, request, type Dispatcher } from "undici";
import { adapterFor, type AdapterContext, type CallMode, type ProviderAdapter, type UpstreamTarget } from "./adapters/index.js";
import type { UpstreamDelta } from "./chunks.js";
import { serverDelay, UpstreamError } from "./errors.js";
import { createFramer, DEFAULT_MAX_LINE_BYTES } from "./framing.js";
import type { ProviderKind } from "./kinds.js";
import { withRetries, type RetryInfo, type RetryPolicy } from "./retry.js";
import { DEFAULT_OUTPUT_BOUNDS, type OutputBounds } from "./output-bounds.js";
import { readDeltas } from "./stream.js";
import { describe, UpstreamCall } from "./call.js";

export type { UpstreamTarget } from "./adapters/index.js";

export interface UpstreamClientOptions {
  /** For the health probe and model listing only. */
  fetch: typeof fetch;
  /**
   * Connection pool for chat and summary calls. undici's request() instead of fetch: the
   * benchmark's profile and heap snapshot put most per-request CPU and per-stream memory in
   * fetch's web-stream plumbing. Default: a keep-alive Agent whose own timeouts are off,
   * because REQUEST_TIMEOUT is enforced here.
   */
  dispatcher?: Dispatcher;
  now: () => number;
  /** Bounds the wait for response headers and any silence between stream chunks. */
  requestTimeoutMs: number;
  /** Longest unfinished SSE event / NDJSON line held in memory (UPSTREAM_MAX_LINE_BYTES). */
  maxLineBytes?: number;
  /** How much answer and tool-call output one stream may carry (DEFAULT_OUTPUT_BOUNDS). */
  outputBounds?: OutputBounds;
  /** Ids for tool calls a native API leaves unnamed (Gemini, Ollama); random by default. */
  newId?: () => string;
  retry: Omit<RetryPolicy, "maxRetryAfterMs" | "onRetry"> & { onRetry?: (info: CallRetryInfo) => void };
}

export interface OpenedStream {
  deltas: AsyncIterable<UpstreamDelta>;
  /** How many attempts it took to get the headers (1 = no retry). */
  attempts: number;
}

/** A retry as the per-call hook sees it: the caller adds request id and provider, which it knows. */
export interface CallRetryInfo extends RetryInfo {
  /** `stream` = the main completion, `complete` = a non-streamed call (summaries). */
  call: CallMode;
  kind: ProviderKind;
}

/** Per-call overrides: with several providers, failing over beats retrying the same one. */
export interface CallOptions {
  maxRetries?: number;
  onRetry?: (info: CallRetryInfo) => void;
  /** Sees each HTTP attempt of this call (tracing): adds its headers, hears its answer. */
  watch?: AttemptWatcher;
}

/**
 * Watches the HTTP attempts of one call — the first try and each retry. An explicit option
 * rather than a patched global fetch: only the calls given one carry its headers.
 */
export interface AttemptWatcher {
  /** Attempt `n` (1 = the first try) is about to go out: headers to add to it (a `traceparent`). */
  attempt(n: number): Record<string, string>;
  /** Its answer: the HTTP status, or the error that ended it before a usable one. */
  answered(status: number | undefined, error?: UpstreamError): void;
}

export interface ProbeResult {
  ok: boolean;
  status: number | undefined;
  latencyMs: number;
  error: string | undefined;
}

export interface UpstreamClient {
  /**
   * Open a streamed completion. `body` is an OpenAI chat body; the target's kind translates it.
   * Retries happen here, before any body byte, and never after.
   */
  stream(target: UpstreamTarget, body: Record<string, unknown>, signal: AbortSignal, options?: CallOptions): Promise<OpenedStream>;
  /** A non-streamed call (summaries); returns an OpenAI `chat.completion` object whatever the kind. */
  complete(target: UpstreamTarget, body: Record<string, unknown>, signal: AbortSignal, options?: CallOptions): Promise<unknown>;
  /** The provider's model ids (each kind's own listing); [] when it has none or fails. */
  models(target: UpstreamTarget, timeoutMs: number): Promise<string[]>;
  /** Is the upstream there at all? The kind's model listing, answered below 500. */
  probe(target: UpstreamTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult>;
}

/** Build the client shared by every call the gateway makes upstream, whatever API each provider speaks. */
export function createUpstreamClient(opts: UpstreamClientOptions): UpstreamClient {
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const ctx: AdapterContext = { newId: opts.newId ?? (() => randomUUID().replaceAll("-", "").slice(0, 24)) };
  const policyFor = (o: CallOptions | undefined, call: CallMode, kind: ProviderKind): RetryPolicy => ({
    ...opts.retry,
    maxRetryAfterMs: opts.requestTimeoutMs,
    maxRetries: o?.maxRetries ?? opts.retry.maxRetries,
    onRetry: (info) => {
      const full = { ...info, call, kind };
      opts.retry.onRetry?.(full);
      o?.onRetry?.(full);
    },
  });

  const dispatcher = opts.dispatcher ?? new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 });

  /**
   * One attempt: POST and wait for headers under REQUEST_TIMEOUT. Fails only before the body:
   * an error status, or a 2xx that is not what was asked for (checked from headers alone).
   */
  async function post(adapter: ProviderAdapter, url: string, headers: Record<string, string>, payload: string, mode: CallMode, signal: AbortSignal) {
    const call = new UpstreamCall(signal, opts.requestTimeoutMs);
    try {
      // identity: a compressed body is one we did not ask for, and is refused below.
      const res = await request(url, {
        method: "POST",
        headers: { ...headers, "accept-encoding": "identity" },
        body: payload,
        signal: call.signal,
        dispatcher,
      });
      call.stopTimer();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const text = await readCapped(res.body, maxLineBytes).catch(() => "");
        throw adapter.error(res.statusCode, text, serverDelay(header(res.headers, "retry-after-ms"), header(res.headers, "retry-after"), opts.now()));
      }
      const wrong = wrongBody(adapter, res.headers, mode);
      if (wrong) {
        discard(res.body);
        throw wrong;
      }
      return { res, call };
    } catch (e) {
      call.release();
      throw call.classify(e);
    }
  }

  /** Translate first: a body the provider's API cannot express is the client's 400, before any call. */
  function prepare(target: UpstreamTarget, body: Record<string, unknown>, mode: CallMode) {
    const adapter = adapterFor(target.kind);
    const built = adapter.build(target, body, mode, ctx);
    return { adapter, url: built.url, headers: built.headers, payload: JSON.stringify(built.body) };
  }

  return {
    async stream(target, body, signal, options) {
      const { adapter, url, headers, payload } = prepare(target, body, "stream");
      let attempts = 0;
      const { res, call } = await withRetries(
        () => {
          attempts++;
          return watched(options?.watch, attempts, (extra) => post(adapter, url, extra ? { ...headers, ...extra } : headers, payload, "stream", signal));
        },
        () => policyFor(options, "stream", adapter.kind),
        signal,
      );
      const deltas = readDeltas(res.body, createFramer(adapter.framing, maxLineBytes), adapter.decoder(ctx), {
        idleTimeoutMs: opts.requestTimeoutMs,
        call,
        bounds: opts.outputBounds ?? DEFAULT_OUTPUT_BOUNDS,
      });
      return { deltas, attempts };
    },

    async complete(target, body, signal, options) {
      const { adapter, url, headers, payload } = prepare(target, body, "complete");
      let attempts = 0;
      const { res, call } = await withRetries(
        () => watched(options?.watch, ++attempts, (extra) => post(adapter, url, extra ? { ...headers, ...extra } : headers, payload, "complete", signal)),
        () => policyFor(options, "complete", adapter.kind),
        signal,
      );
      call.startTimer();
      let json: unknown;
      try {
        json = JSON.parse(await readCapped(res.body, maxLineBytes));
      } catch (e) {
        const err = e instanceof SyntaxError ? undefined : call.classify(e);
        throw err && err.kind !== "connection"
          ? err
          : new UpstreamError({ kind: "http", status: 502, message: "the upstream sent a body that is not JSON", retryable: false });
      } finally {
        call.release();
      }
      const model = typeof body.model === "string" ? body.model : "";
      return adapter.completion(json, model, ctx, Math.floor(opts.now() / 1000));
    },

    async models(target, timeoutMs) {
      const adapter = adapterFor(target.kind);
      const { url, headers } = adapter.modelsRequest(target);
      const res = await opts.fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel();
        return [];
      }
      return adapter.modelIds(await res.json());
    },

    async probe(target, timeoutMs, signal) {
      const started = opts.now();
      const timeout = AbortSignal.timeout(timeoutMs);
      const { url, headers } = adapterFor(target.kind).modelsRequest(target);
      try {
        const res = await opts.fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
        await res.body?.cancel();
        return { ok: res.status < 500, status: res.status, latencyMs: opts.now() - started, error: undefined };
      } catch (e) {
        const error = timeout.aborted ? `timed out after ${timeoutMs} ms` : describe(e);
        return { ok: false, status: undefined, latencyMs: opts.now() - started, error };
      }
    },
  };
}

/** One attempt, shown to its watcher if the call has one: its headers go out with it, its answer comes back. */
async function watched<T extends { res: { statusCode: number } }>(
  watch: AttemptWatcher | undefined,
  n: number,
  send: (extra?: Record<string, string>) => Promise<T>,
): Promise<T> {
  if (!watch) return send();
  try {
    const sent = await send(watch.attempt(n));
    watch.answered(sent.res.statusCode);
    return sent;
  } catch (e) {
    // post() throws nothing but UpstreamErrors.
    const err = e instanceof UpstreamError ? e : new UpstreamError({ kind: "connection", message: String(e), cause: e });
    watch.answered(err.status, err);
    throw e;
  }
}

/**
 * A 2xx we cannot use, judged from its headers before any body byte is read: a content encoding
 * we did not ask for, or (for a stream) a media type that is not the kind's stream format. Both
 * are provider failures a different provider may not have, never an empty success.
 */
function wrongBody(adapter: ProviderAdapter, headers: Record<string, string | string[] | undefined>, mode: CallMode): UpstreamError | undefined {
  const encoding = String(headers["content-encoding"] ?? "identity")
    .trim()
    .toLowerCase();
  if (encoding !== "identity" && encoding !== "") {
    return new UpstreamError({
      kind: "protocol",
      code: "upstream_bad_encoding",
      message: `the upstream sent a ${encoding}-encoded body, which was not asked for`,
      retryable: false,
    });
  }
  if (mode !== "stream") return undefined;
  const type =
    String(headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim()
      .toLowerCase() ?? "";
  if (adapter.streamContentTypes.includes(type)) return undefined;
  return new UpstreamError({
    kind: "protocol",
    code: "upstream_not_event_stream",
    message: `the upstream answered a streamed call with ${type === "" ? "no content type" : type}, not ${adapter.streamContentTypes[0] ?? "a stream"}`,
    retryable: false,
  });
}

/** One response header as a string; null when absent or repeated (a repeated Retry-After is nonsense). */
function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = headers[name];
  return typeof v === "string" ? v : null;
}

/** A whole body as text, refusing one longer than `maxBytes` (an error page or answer has no business being that big). */
async function readCapped(body: AsyncIterable<Uint8Array> & { destroy(): unknown }, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      discard(body);
      throw new UpstreamError({
        kind: "protocol",
        code: "upstream_body_too_large",
        message: `the upstream sent a body larger than ${maxBytes} bytes (UPSTREAM_MAX_LINE_BYTES)`,
        retryable: false,
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Drop a body we will not read and close its connection. undici's body emits an abort error when
 * destroyed; with nobody reading, that error is expected and must not become an uncaught one.
 */
function discard(body: { destroy(): unknown; on?: (event: "error", listener: () => void) => unknown }): void {
  body.on?.("error", () => undefined);
  body.destroy();
}
