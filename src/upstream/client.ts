import { Agent, request, type Dispatcher } from "undici";
import { UpstreamError, errorFromAnswer } from "./errors.js";
import { withRetries, type RetryPolicy } from "./retry.js";
import { readEventStream } from "./sse.js";
import type { UpstreamDelta } from "./chunks.js";

/** Where to send a call: one provider's base URL, chat path and key. */
export interface UpstreamTarget {
  baseUrl: string;
  path: string;
  apiKey: string | undefined;
}

export interface UpstreamClientOptions {
  /** For the health probe only. */
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
  retry: Omit<RetryPolicy, "maxRetryAfterMs">;
}

export interface OpenedStream {
  deltas: AsyncIterable<UpstreamDelta>;
  /** How many attempts it took to get the headers (1 = no retry). */
  attempts: number;
}

/** Per-call overrides: with several providers, failing over beats retrying the same one. */
export interface CallOptions {
  maxRetries?: number;
  onRetry?: RetryPolicy["onRetry"];
}

export interface ProbeResult {
  ok: boolean;
  status: number | undefined;
  latencyMs: number;
  error: string | undefined;
}

export interface UpstreamClient {
  /** Open a streamed completion; retries happen here, before any body byte, and never after. */
  stream(target: UpstreamTarget, body: Record<string, unknown>, signal: AbortSignal, options?: CallOptions): Promise<OpenedStream>;
  /** A non-streamed call (summaries, `stream:false`); returns the parsed JSON body. */
  complete(target: UpstreamTarget, body: Record<string, unknown>, signal: AbortSignal, options?: CallOptions): Promise<unknown>;
  /** The ids in `GET {base}/models` (OpenAI list shape); [] when it has none or fails. */
  models(target: UpstreamTarget, timeoutMs: number): Promise<string[]>;
  /** `GET {base}/models` — is the upstream there at all? */
  probe(target: UpstreamTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult>;
}

/** Marks an abort that our own timer caused, so it maps to a timeout rather than a client abort. */
const TIMED_OUT = Symbol("timed out");

/** Build the OpenAI-compatible client shared by every call the gateway makes upstream. */
export function createUpstreamClient(opts: UpstreamClientOptions): UpstreamClient {
  const base: RetryPolicy = { ...opts.retry, maxRetryAfterMs: opts.requestTimeoutMs };
  const policyFor = (o: CallOptions | undefined): RetryPolicy => ({
    ...base,
    maxRetries: o?.maxRetries ?? base.maxRetries,
    onRetry: (info) => {
      base.onRetry?.(info);
      o?.onRetry?.(info);
    },
  });

  const dispatcher = opts.dispatcher ?? new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 });

  /** One attempt: POST and wait for headers under REQUEST_TIMEOUT. Fails only before the body. */
  async function post(target: UpstreamTarget, body: Record<string, unknown>, signal: AbortSignal, accept: string) {
    const attempt = new AbortController();
    const onAbort = () => attempt.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => attempt.abort(TIMED_OUT), opts.requestTimeoutMs);
    const release = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    try {
      const res = await request(target.baseUrl + target.path, {
        method: "POST",
        headers: headersFor(target, { "content-type": "application/json", accept }),
        body: JSON.stringify(body),
        signal: attempt.signal,
        dispatcher,
      });
      clearTimeout(timer);
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const text = await res.body.text().catch(() => "");
        const retryAfter = res.headers["retry-after"];
        throw errorFromAnswer(res.statusCode, typeof retryAfter === "string" ? retryAfter : null, text, opts.now());
      }
      return { res, attempt, release };
    } catch (e) {
      release();
      throw toUpstreamError(e, attempt.signal, signal, opts.requestTimeoutMs);
    }
  }

  return {
    async stream(target, body, signal, options) {
      let attempts = 0;
      const { res, attempt, release } = await withRetries(
        () => {
          attempts++;
          return post(target, body, signal, "text/event-stream");
        },
        policyFor(options),
        signal,
      );
      const deltas = readEventStream(res.body, {
        idleTimeoutMs: opts.requestTimeoutMs,
        abort: (reason) => attempt.abort(reason),
        classify: (e) => toUpstreamError(e, attempt.signal, signal, opts.requestTimeoutMs),
        timedOut: TIMED_OUT,
        release,
      });
      return { deltas, attempts };
    },

    async complete(target, body, signal, options) {
      const { res, attempt, release } = await withRetries(() => post(target, body, signal, "application/json"), policyFor(options), signal);
      const timer = setTimeout(() => attempt.abort(TIMED_OUT), opts.requestTimeoutMs);
      try {
        return await res.body.json();
      } catch (e) {
        const err = toUpstreamError(e, attempt.signal, signal, opts.requestTimeoutMs);
        throw err.kind === "connection"
          ? new UpstreamError({ kind: "http", status: 502, message: "the upstream sent a body that is not JSON", retryable: false })
          : err;
      } finally {
        clearTimeout(timer);
        release();
      }
    },

    async models(target, timeoutMs) {
      const res = await opts.fetch(`${target.baseUrl}/models`, {
        headers: headersFor(target, { accept: "application/json" }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel();
        return [];
      }
      const body = (await res.json());
      const data = typeof body === "object" && body !== null && "data" in body && Array.isArray(body.data) ? (body.data as unknown[]) : [];
      return data.flatMap((m) => (typeof m === "object" && m !== null && "id" in m && typeof m.id === "string" ? [m.id] : []));
    },

    async probe(target, timeoutMs, signal) {
      const started = opts.now();
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const res = await opts.fetch(`${target.baseUrl}/models`, {
          headers: headersFor(target, { accept: "application/json" }),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        await res.body?.cancel();
        return { ok: res.status < 500, status: res.status, latencyMs: opts.now() - started, error: undefined };
      } catch (e) {
        const error = timeout.aborted ? `timed out after ${timeoutMs} ms` : describe(e);
        return { ok: false, status: undefined, latencyMs: opts.now() - started, error };
      }
    },
  };
}

function headersFor(target: UpstreamTarget, extra: Record<string, string>): Record<string, string> {
  return target.apiKey ? { ...extra, authorization: `Bearer ${target.apiKey}` } : extra;
}

/** Map anything thrown while talking to the upstream onto one of our error kinds. */
function toUpstreamError(e: unknown, attempt: AbortSignal, client: AbortSignal, timeoutMs: number): UpstreamError {
  if (e instanceof UpstreamError) return e;
  if (client.aborted) return new UpstreamError({ kind: "aborted", message: "the client went away", retryable: false, cause: e });
  if (attempt.aborted && attempt.reason === TIMED_OUT) {
    return new UpstreamError({
      kind: "timeout",
      message: `the upstream sent nothing for ${Math.round(timeoutMs / 1000)} s (REQUEST_TIMEOUT)`,
      retryable: false,
      cause: e,
    });
  }
  return new UpstreamError({ kind: "connection", message: `cannot reach the upstream: ${describe(e)}`, cause: e });
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? e.cause.message : undefined;
    return cause && cause !== e.message ? `${e.message} (${cause})` : e.message;
  }
  return String(e);
}
