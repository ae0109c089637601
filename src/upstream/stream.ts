import type { UpstreamDelta } from "./chunks.js";
import { UpstreamError } from "./errors.js";
import type { Framer } from "./framing.js";
import type { StreamDecoder } from "./adapters/index.js";
import { createOutputMeter, type OutputBounds } from "./output-bounds.js";

export interface StreamReadOptions {
  /** Silence longer than this between chunks aborts the stream (REQUEST_TIMEOUT). */
  idleTimeoutMs: number;
  abort: (reason: unknown) => void;
  classify: (e: unknown) => UpstreamError;
  /** The abort reason that means "our idle timer fired". */
  timedOut: unknown;
  /** Detach listeners once the stream is over, however it ended. */
  release: () => void;
  /** How much answer and tool-call output the stream may carry before it is cut. */
  bounds: OutputBounds;
}

/**
 * Decode an upstream body into normalised deltas: bytes → frames (bounded SSE or NDJSON) → the
 * kind's decoder. Ends at the API's end marker or at EOF; throws an UpstreamError for in-stream
 * errors, an over-long line, output past its bounds, a broken connection or an idle timeout. Leaving the loop early
 * destroys the body, which closes the connection — that is how the upstream learns we left.
 */
export async function* readDeltas(
  body: AsyncIterable<Uint8Array> & { destroy(): unknown },
  framer: Framer,
  decoder: StreamDecoder,
  opts: StreamReadOptions,
): AsyncGenerator<UpstreamDelta> {
  const reader = body[Symbol.asyncIterator]();
  const meter = createOutputMeter(opts.bounds);
  // refresh() re-arms the same timer: cheaper than clear+set on every chunk.
  const idle = setTimeout(() => opts.abort(opts.timedOut), opts.idleTimeoutMs);
  let finished = false;
  try {
    for (;;) {
      let read: IteratorResult<Uint8Array>;
      try {
        read = await reader.next();
      } catch (e) {
        const err = opts.classify(e);
        // Bytes already arrived: a broken connection now is a stream failure, never retried.
        throw err.kind === "connection"
          ? new UpstreamError({ kind: "stream", message: "the upstream connection broke mid-stream", code: "upstream_disconnected", retryable: false, cause: e })
          : err;
      }
      if (read.done) break;
      idle.refresh();
      for (const frame of framer.feed(read.value)) {
        const { deltas, done } = decoder.push(frame);
        for (const delta of deltas) {
          meter(delta);
          yield delta;
          // Time the consumer spent (waiting for a slow client) is not the upstream's silence.
          idle.refresh();
        }
        if (done) {
          finished = true;
          drainInBackground(reader, body);
          return;
        }
      }
    }
    for (const frame of framer.end()) yield* metered(decoder.push(frame).deltas, meter);
    yield* metered(decoder.end(), meter);
    finished = true;
  } finally {
    clearTimeout(idle);
    opts.release();
    if (!finished) body.destroy();
  }
}

function* metered(deltas: UpstreamDelta[], meter: (d: UpstreamDelta) => void): Generator<UpstreamDelta> {
  for (const d of deltas) {
    meter(d);
    yield d;
  }
}

/** How long the rest of a response after the end marker may take before its connection is dropped. */
const DRAIN_MS = 1_000;

/**
 * The end marker ends our reading, but the connection can only go back to the pool once the
 * response has ended; read what is left without waiting for it, and drop it if it lingers.
 */
function drainInBackground(reader: AsyncIterator<Uint8Array>, body: { destroy(): unknown }): void {
  const timer = setTimeout(() => body.destroy(), DRAIN_MS);
  timer.unref();
  void (async () => {
    try {
      while (!(await reader.next()).done);
    } catch {
      // Nothing left to lose: the answer is complete.
    } finally {
      clearTimeout(timer);
    }
  })();
}
