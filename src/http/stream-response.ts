import type { Context } from "hono";
import type { Failure, StageSink } from "../pipeline/index.js";
import type { StreamEncoder } from "../surfaces/index.js";
import { CANCELLED, childController, RequestEnded } from "../util/index.js";
import { nodeChannel, webChannel, type Channel } from "./channel.js";
import { clientFailure, failureResponse } from "./failure.js";
import { resumable, type ResumeSettings } from "./resumable.js";

/** A signal that never aborts: a resumable run does not follow its client's connection. */
const NEVER = new AbortController().signal;

export interface StreamResponseOptions {
  requestId: string;
  encoder: StreamEncoder;
  keepaliveMs: number;
  /**
   * STATUS_HOLD: how long the first byte may wait for the upstream to accept. An upstream that
   * rejects the request within it is answered with its own status, whatever the summaries did.
   */
  holdMs: number;
  /** A client that has not taken its backlog for this long is too slow: its request ends. */
  stallMs: number;
  /** Bytes the client may be behind before the pipeline waits for it (default 64 KiB, beyond the socket's own buffer). */
  highWaterBytes?: number;
  run: (sink: StageSink, signal: AbortSignal) => Promise<void>;
  /** Resumable streams: events get ids and are kept; a client that leaves does not end the run at once. */
  resume?: { settings: ResumeSettings; owner: string };
  /** An unexpected failure inside the pipeline (a bug): it is logged, the stream ends. */
  onBug: (e: unknown) => void;
}

/** Where the response is: nothing sent yet, streaming, or over. */
type Phase = "holding" | "open" | "ended";

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
};

/**
 * Turn a pipeline run into a streamed HTTP response. Nothing is committed until the upstream has
 * accepted the request, or STATUS_HOLD has passed and there is something to send: a failure
 * before that is a plain JSON error with the fitting status; after it, the encoder's in-stream
 * failure frame and a clean end.
 */
export function streamResponse(c: Context, opts: StreamResponseOptions): Promise<Response> {
  return new Promise<Response>((resolve) => {
    const highWaterBytes = opts.highWaterBytes ?? 64 * 1024;
    const outgoing = (c.env as { outgoing?: import("node:http").ServerResponse } | undefined)?.outgoing;
    // The client's connection: aborts when it goes away (unless the stream is resumable); also what
    // ends a too-slow client and an explicit cancel.
    const cancelled = childController(opts.resume ? NEVER : c.req.raw.signal);
    const signal = cancelled.signal;
    const keeper = opts.resume ? resumable(opts.resume.settings, opts.requestId, opts.resume.owner, () => cancelled.abort(CANCELLED)) : undefined;
    if (keeper) c.req.raw.signal.addEventListener("abort", () => keeper.clientLeft(), { once: true });
    const channel: Channel = outgoing ? nodeChannel(outgoing) : webChannel(resolve, () => cancelled.abort(CANCELLED));
    let phase: Phase = "holding";
    // Frames written while holding, sent when the response commits.
    let pending = "";
    let accepted = false;
    let holdOver = false;
    let provider: string | undefined;
    // Once the head is written the channel is ours to end; before that node-server writes the response.
    let opened = false;

    const commit = (): void => {
      phase = "open";
      opened = true;
      // Headers middleware set before us (CORS, request id) belong on this response too.
      const headers: Record<string, string> = {};
      c.res.headers.forEach((v, k) => void (headers[k] = v));
      channel.open(200, {
        ...headers,
        ...SSE_HEADERS,
        "x-request-id": opts.requestId,
        ...(provider && { "x-gateway-provider": provider }),
        // Tells a client that a dropped connection can be resumed, and that Stop should cancel explicitly.
        ...(keeper && { "x-resumable": "true" }),
      });
      if (outgoing) resolve(alreadySent());
      if (pending !== "") channel.write(pending);
      pending = "";
    };
    const write = (text: string): void => {
      if (text === "" || phase === "ended" || signal.aborted) return;
      const frame = keeper ? keeper.frame(text) : text;
      keepalive.refresh();
      if (phase === "holding") {
        pending += frame;
        if (accepted || holdOver) commit();
        return;
      }
      channel.write(frame);
    };
    const keepalive = setTimeout(function ping() {
      write(opts.encoder.keepalive);
      keepalive.refresh();
    }, opts.keepaliveMs);
    const hold = setTimeout(() => {
      holdOver = true;
      if (phase === "holding" && pending !== "") commit();
    }, opts.holdMs);

    // A client that stops reading: wait for it up to stallMs, then end its request.
    let stalled: NodeJS.Timeout | undefined;
    const ready = (): Promise<void> | undefined => {
      if (phase !== "open" || channel.closed || channel.backlog < highWaterBytes) return undefined;
      stalled ??= setTimeout(
        () => cancelled.abort(new RequestEnded("client_too_slow", `the client read nothing for ${Math.round(opts.stallMs / 1000)} s`, 408, true)),
        opts.stallMs,
      );
      return channel.drained().then(() => {
        clearTimeout(stalled);
        stalled = undefined;
      });
    };

    const fail = (f: Failure): number => {
      if (phase === "holding") {
        phase = "ended";
        // A reader resuming this request learns how it ended, as the client does from the status.
        keeper?.frame(opts.encoder.failure(f));
        resolve(failureResponse(f, { "x-request-id": opts.requestId, ...(provider && { "x-gateway-provider": provider }) }));
        return f.status;
      }
      // A client too slow to read its stream will not read an error frame either.
      if (!(signal.reason instanceof RequestEnded && signal.reason.code === "client_too_slow")) write(opts.encoder.failure(f));
      phase = "ended";
      return 200;
    };

    const sink: StageSink = {
      event: (e) => write(opts.encoder.event(e)),
      accepted: () => {
        accepted = true;
        if (phase === "holding") commit();
      },
      fail,
      provider: (id) => void (provider = id),
      ready,
    };

    opts
      .run(sink, signal)
      .catch((e: unknown) => {
        opts.onBug(e);
        if (phase !== "ended") fail(clientFailure(e));
      })
      .finally(() => {
        clearTimeout(keepalive);
        clearTimeout(hold);
        clearTimeout(stalled);
        keeper?.end();
        cancelled.dispose();
        if (phase === "holding") {
          // The client left before anything was sent; answer something so the handler completes.
          resolve(failureResponse({ status: 499, type: "client_closed", code: "client_closed", message: "client closed the request", retryable: false }, { "x-request-id": opts.requestId }));
        } else if (phase === "open") {
          channel.write(opts.encoder.end());
        }
        phase = "ended";
        if (opened) channel.end();
      });
  });
}

/**
 * Tells @hono/node-server the response was written to the socket directly. One per request:
 * middleware that runs after the handler sets headers on it, so a shared constant would
 * collect them.
 */
function alreadySent(): Response {
  return new Response(null, { headers: { "x-hono-already-sent": "true" } });
}
