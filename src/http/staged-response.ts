import { encodeEvent, KEEPALIVE_FRAME, type StagedEvent } from "../events/index.js";
import type { StageSink } from "../pipeline/index.js";
import type { UpstreamError } from "../upstream/index.js";
import { CANCELLED, childController } from "../util/index.js";
import { errorBody } from "./errors.js";

const encoder = new TextEncoder();

export interface StagedResponseOptions {
  requestId: string;
  keepaliveMs: number;
  /** The client's connection: aborts when it goes away. */
  clientSignal: AbortSignal;
  run: (sink: StageSink, signal: AbortSignal) => Promise<void>;
  /** Called for an unexpected failure inside the pipeline (a bug): it is logged, the stream ends. */
  onBug: (e: unknown) => void;
}

/**
 * Turn a pipeline run into an HTTP response. Nothing is committed until the first event (or the
 * first keep-alive): an upstream failure before that is a plain JSON error with a fitting status;
 * after it, an `error` event and a clean end.
 */
export function stagedResponse(opts: StagedResponseOptions): Promise<Response> {
  return new Promise<Response>((resolve) => {
    const cancelled = childController(opts.clientSignal);
    const signal = cancelled.signal;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => void (controller = c),
      // The node adapter cancels the body when the socket closes: same as a client abort.
      cancel: () => cancelled.abort(CANCELLED),
    });
    let committed = false;
    let settled = false;

    const write = (frame: string): void => {
      if (settled || signal.aborted) return;
      if (!committed) {
        committed = true;
        resolve(new Response(body, { headers: sseHeaders(opts.requestId, provider) }));
      }
      controller.enqueue(encoder.encode(frame));
      keepalive.refresh();
    };
    const keepalive = setTimeout(function ping() {
      write(KEEPALIVE_FRAME);
      keepalive.refresh();
    }, opts.keepaliveMs);

    let provider: string | undefined;
    const fail = (status: number, message: string, code: string, retryable: boolean, retryAfterMs?: number): number => {
      if (!committed) {
        settled = true;
        const headers: Record<string, string> = { "x-request-id": opts.requestId };
        if (provider) headers["x-gateway-provider"] = provider;
        if (retryAfterMs !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
        resolve(jsonError(status, message, code, headers));
        return status;
      }
      write(encodeEvent({ event: "error", data: { request_id: opts.requestId, stage: "upstream", message, code, retryable } }));
      return 200;
    };
    const sink: StageSink = {
      event: (e: StagedEvent) => write(encodeEvent(e)),
      fail: (e: UpstreamError) => fail(e.gatewayStatus, e.message, e.code, e.retryable, e.kind === "no_provider" ? e.retryAfterMs : undefined),
      provider: (id) => void (provider = id),
    };

    opts
      .run(sink, signal)
      .catch((e: unknown) => {
        opts.onBug(e);
        fail(500, "internal gateway error", "internal_error", false);
      })
      .finally(() => {
        clearTimeout(keepalive);
        cancelled.dispose();
        if (!committed && !settled) {
          // The client left before anything was sent; answer something so the handler completes.
          resolve(jsonError(499, "client closed the request", "client_closed", { "x-request-id": opts.requestId }));
        }
        settled = true;
        if (committed) {
          try {
            controller.close();
          } catch {
            // Already closed by a cancel: nothing to flush.
          }
        }
      });
  });
}

function sseHeaders(requestId: string, provider: string | undefined): Record<string, string> {
  return {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
    "x-request-id": requestId,
    // Known only if the upstream already answered when the first event went out.
    ...(provider && { "x-gateway-provider": provider }),
  };
}

function jsonError(status: number, message: string, code: string, headers: Record<string, string>): Response {
  const type = status >= 500 ? "upstream_error" : status === 499 ? "client_closed" : status === 429 ? "rate_limit_error" : "invalid_request_error";
  return Response.json(errorBody(message, type, code), { status, headers });
}
