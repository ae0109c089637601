import type { UpstreamDelta } from "./chunks.js";
import { UpstreamError } from "./errors.js";
import type { Frame, Framer } from "./framing.js";
import type { StreamDecoder } from "./adapters/index.js";
import { OutputMeter, type OutputBounds } from "./output-bounds.js";

/** The upstream call the stream belongs to, as the reader needs it. */
export interface StreamCall {
  /** Our idle timer fired: abort the call as timed out. */
  timeOut(): void;
  /** What an error of the body means, as an UpstreamError. */
  classify(e: unknown): UpstreamError;
  /** Detach listeners once the stream is over, however it ended. */
  release(): void;
}

export interface StreamReadOptions {
  /** Silence longer than this between chunks aborts the stream (REQUEST_TIMEOUT). */
  idleTimeoutMs: number;
  call: StreamCall;
  /** How much answer and tool-call output the stream may carry before it is cut. */
  bounds: OutputBounds;
}

/** The body as the reader uses it: undici's response body, a Node Readable. */
export interface UpstreamBody {
  read(): Uint8Array | null;
  /** Node's emitters call a listener with the emitter as `this`. */
  on(event: "readable" | "end" | "close", listener: (this: UpstreamBody) => void): unknown;
  on(event: "error", listener: (this: UpstreamBody, e: unknown) => void): unknown;
  readonly destroyed: boolean;
  readonly readableEnded: boolean;
  destroy(): unknown;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Decode an upstream body into normalised deltas: bytes → frames (bounded SSE or NDJSON) → the
 * kind's decoder. Ends at the API's end marker or at EOF; throws an UpstreamError for in-stream
 * errors, an over-long line, output past its bounds, a broken connection or an idle timeout. Leaving the loop early
 * destroys the body, which closes the connection — that is how the upstream learns we left.
 */
export function readDeltas(body: UpstreamBody, framer: Framer, decoder: StreamDecoder, opts: StreamReadOptions): AsyncIterableIterator<UpstreamDelta> {
  return new DeltaReader(body, framer, decoder, opts);
}

/** Where the reader is: reading the body, reading what is left after the end marker, or done. */
type ReaderState = "reading" | "draining" | "over";

/**
 * A plain pull reader rather than an async generator over the body's async iterator: a parked
 * stream holds one pending promise and three listeners instead of two suspended generators, their
 * request queues and the end-of-stream watcher's closures. Reads the body the way Node's
 * `Readable` async iterator does (`read()` on `readable`, its end or error from the stream's own
 * events), and leaves the same way: the body is destroyed unless it was read to its end.
 */
class DeltaReader implements AsyncIterableIterator<UpstreamDelta> {
  private state: ReaderState = "reading";
  private readonly call: StreamCall;
  private readonly meter: OutputMeter;
  // refresh() re-arms the same timer: cheaper than clear+set on every chunk.
  private readonly idle: NodeJS.Timeout;
  /**
   * Frames of the last chunk not decoded yet, and the decoded deltas not handed out yet. Both are
   * let go once used up: a stream parked on a quiet upstream would otherwise hold its last chunk's
   * frames (and, through their sliced strings, the chunk's text) and deltas until the next read.
   */
  private frames: readonly Frame[] = NONE;
  private frameAt = 0;
  private deltas: readonly UpstreamDelta[] = NONE;
  private deltaAt = 0;
  /** The decoder saw the API's end marker: hand out what is queued, then stop. */
  private sawEnd = false;
  /** The body ended: 1 while the framer's last frames are decoded, 2 once the decoder's rest is queued. */
  private eof: 0 | 1 | 2 = 0;
  /** The body's end: undefined while it runs, null once it ended, else the error that ended it. */
  private ended: unknown = undefined;
  /** The consumer's pending `next()`, while nothing is at hand. */
  private resolve: ((r: IteratorResult<UpstreamDelta>) => void) | undefined;
  private reject: ((e: unknown) => void) | undefined;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly body: UpstreamBody,
    private readonly framer: Framer,
    private readonly decoder: StreamDecoder,
    opts: StreamReadOptions,
  ) {
    this.call = opts.call;
    this.meter = new OutputMeter(opts.bounds);
    this.idle = setTimeout(idleTimeout, opts.idleTimeoutMs, opts.call);
    readers.set(body, this);
    body.on("readable", onReadable);
    body.on("error", onBodyError);
    body.on("end", onBodyEnd);
    body.on("close", onBodyEnd);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<UpstreamDelta>> {
    if (this.resolve) return Promise.reject(new Error("readDeltas: next() called while a read is pending"));
    // A delta at hand (most of them: one upstream read holds many) is an already-settled promise,
    // without an executor closure and its context per delta; an error pull() throws rejects it.
    let r: IteratorResult<UpstreamDelta> | undefined;
    try {
      r = this.pull();
    } catch (e) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as thrown, as the executor did
      return Promise.reject(e);
    }
    if (r !== undefined) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** The consumer left early (`break`): the body is destroyed, which closes the connection. */
  return(): Promise<IteratorResult<UpstreamDelta>> {
    this.finish(false);
    return Promise.resolve(DONE);
  }

  /** The next delta if one is at hand, DONE at the end, undefined to wait for the body. Throws an UpstreamError. */
  private pull(): IteratorResult<UpstreamDelta> | undefined {
    if (this.state !== "reading") return DONE;
    try {
      for (;;) {
        if (this.deltaAt < this.deltas.length) {
          const d = this.deltas[this.deltaAt++] as UpstreamDelta;
          this.meter.count(d);
          // Time the consumer spent (waiting for a slow client) is not the upstream's silence.
          this.idle.refresh();
          return { done: false, value: d };
        }
        if (this.deltas !== NONE) this.take(NONE);
        if (this.sawEnd) {
          // The end marker ends our reading; the connection goes back to the pool once the rest is read.
          this.finish(true);
          this.drain();
          return DONE;
        }
        if (this.frameAt < this.frames.length) {
          const { deltas, done } = this.decoder.push(this.frames[this.frameAt++] as Frame);
          this.take(deltas);
          // After EOF every frame the framer still held is decoded, whatever it says.
          if (done && this.eof === 0) this.sawEnd = true;
          continue;
        }
        if (this.frames !== NONE) this.frames = NONE;
        if (this.eof === 1) {
          this.eof = 2;
          this.take(this.decoder.end());
          continue;
        }
        if (this.eof === 2) {
          this.finish(true);
          return DONE;
        }
        if (this.ended === null) {
          // EOF: the frames the framer still holds, then what the decoder holds, then the end.
          this.eof = 1;
          this.frames = this.framer.end();
          this.frameAt = 0;
          continue;
        }
        const chunk = this.body.destroyed ? null : this.body.read();
        if (chunk !== null) {
          this.idle.refresh();
          this.frames = this.framer.feed(chunk);
          this.frameAt = 0;
          continue;
        }
        if (this.ended !== undefined) throw this.broken(this.ended);
        return undefined;
      }
    } catch (e) {
      this.finish(false);
      throw e;
    }
  }

  private take(deltas: readonly UpstreamDelta[]): void {
    this.deltas = deltas;
    this.deltaAt = 0;
  }

  /** The body has more, or ended: answer a pending `next()` if it can be answered now. */
  wake(): void {
    if (this.state === "draining") {
      while (this.body.read() !== null);
      return;
    }
    const resolve = this.resolve;
    const reject = this.reject;
    if (!resolve || !reject) return;
    let r: IteratorResult<UpstreamDelta> | undefined;
    try {
      r = this.pull();
    } catch (e) {
      this.resolve = this.reject = undefined;
      reject(e);
      return;
    }
    if (r === undefined) return;
    this.resolve = this.reject = undefined;
    resolve(r);
  }

  /** The body ended (null) or broke (the error). */
  bodyEnded(e: unknown): void {
    if (this.ended !== undefined) return;
    this.ended = e;
    if (this.state === "draining") {
      clearTimeout(this.drainTimer);
      this.state = "over";
      return;
    }
    this.wake();
  }

  /** Bytes already arrived: a broken connection now is a stream failure, never retried. */
  private broken(e: unknown): UpstreamError {
    const err = this.call.classify(e);
    return err.kind === "connection"
      ? new UpstreamError({ kind: "stream", message: "the upstream connection broke mid-stream", code: "upstream_disconnected", retryable: false, cause: e })
      : err;
  }

  /** Reading is over, however it ended: the timer and listeners go, and an unread body is destroyed. */
  private finish(complete: boolean): void {
    if (this.state !== "reading") return;
    this.state = "over";
    clearTimeout(this.idle);
    this.call.release();
    this.frames = NONE;
    this.deltas = NONE;
    if (!complete) this.body.destroy();
  }

  /**
   * The end marker ends our reading, but the connection can only go back to the pool once the
   * response has ended; read what is left without waiting for it, and drop it if it lingers.
   */
  private drain(): void {
    if (this.ended !== undefined) return;
    this.state = "draining";
    const timer = setTimeout(destroyBody, DRAIN_MS, this.body);
    timer.unref();
    this.drainTimer = timer;
    this.wake();
  }
}

/** The empty list a reader holds between reads (never written to). */
const NONE: readonly never[] = [];

/**
 * Which reader reads a body. Its listeners are module functions shared by every stream, called
 * with the body as `this`, rather than closures made for each one.
 */
const readers = new WeakMap<UpstreamBody, DeltaReader>();

function onReadable(this: UpstreamBody): void {
  readers.get(this)?.wake();
}

function onBodyError(this: UpstreamBody, e: unknown): void {
  readers.get(this)?.bodyEnded(e);
}

/** `end`: read to its end. `close` before it (and no error): the connection went away. */
function onBodyEnd(this: UpstreamBody): void {
  readers.get(this)?.bodyEnded(this.readableEnded ? null : prematureClose());
}

function idleTimeout(call: StreamCall): void {
  call.timeOut();
}

function destroyBody(body: UpstreamBody): void {
  body.destroy();
}

/** What Node's stream helpers report for a stream closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
}

/** How long the rest of a response after the end marker may take before its connection is dropped. */
const DRAIN_MS = 1_000;
