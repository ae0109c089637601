import type { Context } from "hono";
import type { SseMessage, SseOut, StagedEvent } from "../events/index.js";
import type { ServerResponse } from "node:http";
import type { Failure, RunCancel, RunResult, StageSink } from "../pipeline/index.js";
import type { StreamEncoder } from "../surfaces/index.js";
import { CANCELLED, RequestEnded } from "../util/index.js";
import { clientFailure, failureResponse } from "./failure.js";
import { CLIENT_CLOSED_STATUS, settle } from "./outcome.js";
import { resumable, type ResumeCancel, type Resumable, type ResumeSettings } from "./resumable.js";
import { alreadySent, channelFor, headersOf, SseStream } from "./sse-stream.js";

export interface StreamResponseOptions {
  requestId: string;
  encoder: StreamEncoder;
  keepaliveMs: number;
  /** A client that has not taken its backlog for this long is too slow: its request ends. */
  stallMs: number;
  /** Bytes the client may be behind before the pipeline waits for it (default 64 KiB, beyond the socket's own buffer). */
  highWaterBytes?: number;
  /** Start the run; it hands back how to cancel it (see `runStaged`). */
  run: (sink: StageSink, bindCancel: (cancel: RunCancel) => void) => Promise<RunResult>;
  /** Resumable streams: events get ids and are kept; a client that leaves does not end the run at once. */
  resume?: { settings: ResumeSettings; owner: string };
  /** An unexpected failure inside the pipeline (a bug): it is logged, the stream ends. */
  onBug: (e: unknown) => void;
}

/** What a resumable request's log ends with when it was cancelled, so a late reader is told. */
const CANCEL_FAILURES: Record<ResumeCancel, Failure> = {
  cancelled: { status: CLIENT_CLOSED_STATUS, type: "client_closed", code: "cancelled", message: "the request was cancelled", retryable: false },
  abandoned: {
    status: CLIENT_CLOSED_STATUS,
    type: "client_closed",
    code: "abandoned",
    message: "nobody resumed the stream within RESUME_GRACE_SECONDS: the request was cancelled",
    retryable: false,
  },
};

/**
 * Turn a pipeline run into a streamed HTTP response. Nothing is committed until the upstream has
 * accepted the request: a failure before that — the upstream's refusal after the gateway's
 * bounded retries, no provider, a deadline — is a plain JSON error with its own status, however
 * far the summaries got. Once committed, a failure is the encoder's in-stream failure and a
 * clean end.
 */
export function streamResponse(c: Context, opts: StreamResponseOptions): Promise<Response> {
  return new Promise<Response>((resolve) => new StreamedRun(c, opts, resolve).start());
}

/**
 * One streamed request at the HTTP edge: the run's events in, the surface's messages out.
 *
 * It holds no AbortController of its own: it cancels the run through the run's own (one per
 * request), and on Node it learns that the client left from the response's `close` rather than
 * from the web request's signal, whose controller and listener maps would otherwise be built for
 * every request. It lets go of the Hono context once the headers are out. Together that is
 * ≈ 2 KB less per open stream (BENCHMARKS.md, "Heap per parked stream").
 */
class StreamedRun implements StageSink {
  /** Why the response was cancelled — the client's connection (unless resumable), an explicit cancel, a client too slow to read; undefined while it is not. */
  private cancelReason: unknown;
  private cancelRun: RunCancel | undefined;
  private readonly stream: SseStream;
  private readonly direct: boolean;
  private readonly keeper: Resumable | undefined;
  private providerId: string | undefined;
  /**
   * Hands the handler its Response, once; then let go. Kept, it would hold its promise and so the
   * Response it resolved with (on Node the already-sent marker, with its headers) for the
   * stream's whole life: ≈ 0.5 KB per open stream.
   */
  private resolveResponse: ((r: Response) => void) | undefined;
  /** Until the response is committed: its headers come from the context (CORS, the request id). */
  private c: Context | undefined;

  constructor(
    c: Context,
    private readonly opts: StreamResponseOptions,
    resolveResponse: (r: Response) => void,
  ) {
    this.c = c;
    this.resolveResponse = resolveResponse;
    const { channel, direct } = channelFor(
      c,
      (r) => this.resolve(r),
      () => this.cancel(CANCELLED),
    );
    this.direct = direct;
    this.stream = new SseStream(channel, {
      keepaliveMs: opts.keepaliveMs,
      stallMs: opts.stallMs,
      ...(opts.highWaterBytes !== undefined && { highWaterBytes: opts.highWaterBytes }),
      onStall: () => this.cancel(new RequestEnded("client_too_slow", `the client read nothing for ${Math.round(opts.stallMs / 1000)} s`, 408, true)),
    });
    const r = opts.resume;
    this.keeper = r ? resumable(r.settings, opts.requestId, r.owner, () => this.cancel(CANCELLED)) : undefined;
    // A resumable run does not end with its client's connection; any other does.
    onClientGone(c, this.keeper ? () => this.clientLeft() : () => this.cancel(CANCELLED));
  }

  private get cancelled(): boolean {
    return this.cancelReason !== undefined;
  }

  /** End the run (once): the client left, cancelled, or reads too slowly. */
  private cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelReason = reason;
    this.cancelRun?.(reason);
  }

  // The run's sink is this object itself: its methods are on the prototype, not four closures per stream.
  event(e: StagedEvent): void {
    this.opts.encoder.event(e, this.out);
  }

  accepted(): void {
    this.commit();
  }

  provider(id: string): void {
    this.providerId = id;
  }

  ready(): Promise<void> | undefined {
    return this.stream.ready();
  }

  start(): void {
    this.opts
      .run(this, (cancel) => {
        this.cancelRun = cancel;
        // Cancelled before the run began (the client left while the handler was set up).
        if (this.cancelled) cancel(this.cancelReason);
      })
      .then(
        (result) => this.finish(result),
        (e: unknown) => {
          this.opts.onBug(e);
          this.finish(undefined, clientFailure(e));
        },
      )
      .finally(() => (this.cancelRun = undefined));
  }

  /** Every message of the surface goes out here: kept (with its id) when resumable, then written. */
  private readonly out: SseOut = (m: SseMessage) => {
    if (this.cancelled && !this.keeper) return;
    const id = this.keeper && !("comment" in m) ? this.keeper.add(m) : undefined;
    this.stream.write(m, id);
  };

  /** The upstream accepted: the status is 200 from here on. */
  private commit(): void {
    const c = this.c;
    if (!this.stream.isHolding || this.cancelled || !c) return;
    this.c = undefined;
    this.stream.open({
      ...headersOf(c),
      "x-request-id": this.opts.requestId,
      ...(this.providerId && { "x-gateway-provider": this.providerId }),
      // Tells a client that a dropped connection can be resumed, and that Stop should cancel explicitly.
      ...(this.keeper && { "x-resumable": "true" }),
    });
    if (this.direct) this.resolve(alreadySent());
  }

  /** A resumable stream's client left: it may come back within the grace — if it ever learnt the id. */
  private clientLeft(): void {
    if (this.stream.isOpen) this.keeper?.clientLeft();
    else this.cancel(CANCELLED);
  }

  /** The run is over: tell the client how (status, in-stream failure or the surface's end), then record it. */
  private finish(result: RunResult | undefined, bug?: Failure): void {
    const began = this.stream.isOpen;
    const settled = result ? settle(result.end, began) : { outcome: "stream_error" as const, status: began ? 200 : 500, failure: bug };
    const { failure } = settled;
    const tooSlow = this.cancelReason instanceof RequestEnded && this.cancelReason.code === "client_too_slow";
    if (failure && !began) {
      this.resolve(failureResponse(failure, { "x-request-id": this.opts.requestId, ...(this.providerId && { "x-gateway-provider": this.providerId }) }));
      // A reader resuming this request learns how it ended, as the client does from the status.
      this.keepOnly((out) => this.opts.encoder.failure(failure, out));
    } else if (failure && !tooSlow) {
      // A client too slow to read its stream will not read an error frame either.
      this.opts.encoder.failure(failure, this.out);
    } else if (settled.outcome === "ok") {
      this.opts.encoder.end(this.out);
    } else if (this.keeper?.cancelled) {
      const why = CANCEL_FAILURES[this.keeper.cancelled];
      this.keepOnly((out) => this.opts.encoder.failure(why, out));
    }
    this.stream.end();
    this.keeper?.end();
    // The client left before anything was sent: answer something so the handler completes.
    if (this.resolveResponse)
      this.resolve(
        failureResponse(
          { status: CLIENT_CLOSED_STATUS, type: "client_closed", code: "client_closed", message: "client closed the request", retryable: false },
          { "x-request-id": this.opts.requestId },
        ),
      );
    result?.record(settled.outcome, settled.status);
  }

  /** Messages only the event log gets (the client is gone, or was answered with a status). */
  private keepOnly(write: (out: SseOut) => void): void {
    const keeper = this.keeper;
    if (keeper) write((m) => void (!("comment" in m) && keeper.add(m)));
  }

  private resolve(r: Response): void {
    const resolveResponse = this.resolveResponse;
    if (!resolveResponse) return;
    this.resolveResponse = undefined;
    this.c = undefined;
    resolveResponse(r);
  }
}

/**
 * `left` once the client's connection is gone before the response finished. On Node, from the
 * response's `close` — the same test @hono/node-server makes before it aborts the web request's
 * signal, without building that signal; elsewhere from the signal itself.
 */
function onClientGone(c: Context, left: () => void): void {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing) {
    c.req.raw.signal.addEventListener("abort", left, { once: true });
    return;
  }
  if (outgoing.destroyed && !outgoing.writableFinished) return left();
  outgoing.once("close", () => {
    if (!outgoing.writableFinished) left();
  });
}
