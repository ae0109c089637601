import { createParser } from "eventsource-parser";
import { readChunk, type UpstreamDelta } from "./chunks.js";
import { UpstreamError } from "./errors.js";

export interface EventStreamOptions {
  /** Silence longer than this between chunks aborts the stream (REQUEST_TIMEOUT). */
  idleTimeoutMs: number;
  abort: (reason: unknown) => void;
  classify: (e: unknown) => UpstreamError;
  /** The abort reason that means "our idle timer fired". */
  timedOut: unknown;
  /** Detach listeners once the stream is over, however it ended. */
  release: () => void;
}

/**
 * Decode an upstream SSE body into normalised deltas. Ends at `[DONE]` or at EOF (some servers
 * never send `[DONE]`); throws an UpstreamError for in-stream errors, a broken connection or
 * an idle timeout. Breaking out of the loop destroys the body, which closes the connection.
 */
export async function* readEventStream(
  body: AsyncIterable<Uint8Array> & { destroy(): unknown },
  opts: EventStreamOptions,
): AsyncGenerator<UpstreamDelta> {
  const reader = body[Symbol.asyncIterator]();
  const decoder = new TextDecoder();
  // Parsed `data:` payloads waiting to be yielded; the parser is callback-based, we are pull-based.
  const pending: string[] = [];
  const parser = createParser({ onEvent: (e) => pending.push(e.data) });
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
      parser.feed(decoder.decode(read.value, { stream: true }));
      for (let i = 0; i < pending.length; i++) {
        const data = pending[i] as string;
        if (data === "[DONE]") {
          finished = true;
          drainInBackground(reader, body);
          return;
        }
        const delta = readChunk(parseJson(data));
        if (delta) {
          yield delta;
          // Time the consumer spent (waiting for a slow client) is not the upstream's silence.
          idle.refresh();
        }
      }
      pending.length = 0;
    }
    finished = true;
  } finally {
    clearTimeout(idle);
    opts.release();
    // Closing the body early closes the connection: that is how the upstream learns we left.
    if (!finished) body.destroy();
  }
}

/** How long the rest of a response after `[DONE]` may take before its connection is dropped. */
const DRAIN_MS = 1_000;

/**
 * `[DONE]` ends our reading, but the connection can only go back to the pool once the response
 * has ended; read what is left without waiting for it, and drop the connection if it lingers.
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

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new UpstreamError({
      kind: "stream",
      message: `the upstream sent a chunk that is not JSON: ${data.slice(0, 120)}`,
      code: "upstream_bad_chunk",
      retryable: false,
    });
  }
}
