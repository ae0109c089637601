/**
 * Byte streams to frames: Server-Sent Events (OpenAI, Anthropic, Gemini) or newline-delimited JSON
 * (Ollama). Both framers hold at most `maxBytes` of an unfinished event or line: an upstream that
 * never sends the newline must not grow our memory (issue 10), so past the cap the stream ends
 * with `upstream_line_too_long` instead.
 */
import { createParser, type EventSourceMessage, type EventSourceParser, type ParseError } from "eventsource-parser";
import { UpstreamError } from "./errors.js";

/** One complete unit of a stream: an SSE event (name + data) or one NDJSON line (as `data`). */
export interface Frame {
  event: string | undefined;
  data: string;
}

export interface Framer {
  /** Frames completed by this chunk, in order. Throws `upstream_line_too_long` past the cap. */
  feed(chunk: Uint8Array): Frame[];
  /** Whatever the end of the body completes (an NDJSON last line without its newline). */
  end(): Frame[];
}

export type Framing = "sse" | "ndjson";

/** Default cap of one unfinished SSE event / NDJSON line: far above any real chunk. */
export const DEFAULT_MAX_LINE_BYTES = 1_048_576;

export function createFramer(framing: Framing, maxBytes: number): Framer {
  return framing === "sse" ? createSseFramer(maxBytes) : createNdjsonFramer(maxBytes);
}

function tooLong(maxBytes: number): UpstreamError {
  return new UpstreamError({
    kind: "stream",
    code: "upstream_line_too_long",
    message: `the upstream sent an event longer than ${maxBytes} bytes without ending it (UPSTREAM_MAX_LINE_BYTES)`,
    retryable: false,
  });
}

/**
 * SSE through eventsource-parser, whose `maxBufferSize` bounds both surfaces that can grow: a line
 * without its newline and an event without its blank line. It counts UTF-16 code units, which for
 * the ASCII JSON upstreams send is bytes (and never more memory than twice the cap otherwise).
 */
export function createSseFramer(maxBytes: number): Framer {
  return new SseFramer(maxBytes);
}

/**
 * What the running `feed()` collects: the events it completed, and whether the parser overflowed.
 * The parser calls back synchronously inside its own `feed()`, so its two callbacks are module
 * functions shared by every stream (no closures and context per stream) that write here.
 */
let collected: Frame[] | undefined;
let overflowed = false;

function onSseEvent(e: EventSourceMessage): void {
  collected?.push({ event: e.event, data: e.data });
}

function onSseError(e: ParseError): void {
  if (e.type === "max-buffer-size-exceeded") overflowed = true;
}

class SseFramer implements Framer {
  private readonly decoder = new TextDecoder();
  private readonly parser: EventSourceParser;

  constructor(private readonly maxBytes: number) {
    this.parser = createParser({ maxBufferSize: maxBytes, onEvent: onSseEvent, onError: onSseError });
  }

  feed(chunk: Uint8Array): Frame[] {
    // The parser is callback-based, we are pull-based: this chunk's events, handed to the caller.
    const out: Frame[] = (collected = []);
    overflowed = false;
    try {
      this.parser.feed(this.decoder.decode(chunk, { stream: true }));
    } finally {
      collected = undefined;
    }
    // Thrown after the parser's feed() returned, so its own state stays sane.
    if (overflowed) throw tooLong(this.maxBytes);
    return out;
  }

  end(): Frame[] {
    return [];
  }
}

/**
 * NDJSON with our own bound: bytes since the last `\n` are counted before any decoding, so a line
 * that never ends costs at most `maxBytes` of held chunks. Blank lines are skipped; `\r\n` works.
 */
export function createNdjsonFramer(maxBytes: number): Framer {
  const decoder = new TextDecoder();
  // Pieces of the current unfinished line, and their total size: joined once the newline arrives.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;

  function line(bytes: Uint8Array): Frame | undefined {
    const text = decoder.decode(bytes).trim();
    return text === "" ? undefined : { event: undefined, data: text };
  }
  function takeLine(tail: Uint8Array): Uint8Array {
    if (pending.length === 0) return tail;
    const joined = Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    return joined;
  }

  return {
    feed(chunk) {
      const frames: Frame[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const frame = line(takeLine(chunk.subarray(start, nl)));
        if (frame) frames.push(frame);
        start = nl + 1;
      }
      if (start < chunk.length) {
        pendingBytes += chunk.length - start;
        if (pendingBytes > maxBytes) {
          pending = [];
          pendingBytes = 0;
          throw tooLong(maxBytes);
        }
        // A copy: the transport may reuse the chunk's memory once we return.
        pending.push(chunk.slice(start));
      }
      return frames;
    },
    end() {
      if (pending.length === 0) return [];
      const frame = line(takeLine(new Uint8Array(0)));
      return frame ? [frame] : [];
    },
  };
}
