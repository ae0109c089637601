import { gzipSync } from "node:zlib";
import { runawayFrames, type Runaway } from "./runaway.js";
import type { HostileMode, MockApi, MockCallOutcome } from "./types.js";

export interface HostileHooks {
  signal: AbortSignal;
  /** Body bytes handed to the server so far (the endless line grows this until the client leaves). */
  onBytes(total: number): void;
  finish(outcome: Exclude<MockCallOutcome, "pending">): void;
}

const encoder = new TextEncoder();
/** One piece of the endless line: big enough to make a leak obvious, small enough to pace. */
const FILLER = encoder.encode("x".repeat(64 * 1024));

/**
 * A 200 that is not the stream that was asked for (issue 10's hostile upstreams). `format` is the
 * framing the API would have used, so `endless_line` and `gzip` look right at first glance.
 */
export function hostileResponse(mode: HostileMode, api: MockApi, format: "sse" | "ndjson", hooks: HostileHooks): Response {
  const streamType = format === "sse" ? "text/event-stream" : "application/x-ndjson";
  switch (mode) {
    case "endless_tool_calls":
    case "endless_tool_arguments":
    case "endless_answer": {
      const what: Runaway = mode === "endless_tool_calls" ? "tool_calls" : mode === "endless_tool_arguments" ? "tool_arguments" : "answer";
      return new Response(endless(runawayFrames(api, what), hooks), { status: 200, headers: { "content-type": streamType, "cache-control": "no-cache" } });
    }
    case "html":
      hooks.finish("completed");
      return new Response("<!doctype html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>", {
        status: 200,
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    case "json":
      hooks.finish("completed");
      return Response.json({
        id: "chatcmpl-hostile",
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: "not a stream" }, finish_reason: "stop" }],
      });
    case "gzip": {
      hooks.finish("completed");
      const text =
        format === "sse"
          ? 'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'
          : '{"message":{"role":"assistant","content":"hi"},"done":true}\n';
      return new Response(gzipSync(text), { status: 200, headers: { "content-type": streamType, "content-encoding": "gzip" } });
    }
    case "endless_line":
      return new Response(endlessLine(format, hooks), { status: 200, headers: { "content-type": streamType, "cache-control": "no-cache" } });
  }
}

/** A runaway answer: `head`, then frame after frame, only as fast as the client reads. */
function endless(frames: { head: string; frame: (n: number) => string }, hooks: HostileHooks): ReadableStream<Uint8Array> {
  let total = 0;
  let n = 0;
  const send = (c: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    const bytes = encoder.encode(text);
    c.enqueue(bytes);
    total += bytes.length;
    hooks.onBytes(total);
  };
  return new ReadableStream<Uint8Array>({
    start(c) {
      if (frames.head !== "") send(c, frames.head);
    },
    pull(c) {
      if (hooks.signal.aborted) {
        hooks.finish("aborted");
        c.close();
        return;
      }
      send(c, frames.frame(n++));
    },
    cancel() {
      hooks.finish("aborted");
    },
  });
}

/**
 * A stream whose first line starts like a real chunk and never ends. Pull-based, so it writes only
 * as fast as the client reads: the bytes sent measure what the client took in before it gave up.
 */
function endlessLine(format: "sse" | "ndjson", hooks: HostileHooks): ReadableStream<Uint8Array> {
  const head = encoder.encode(
    format === "sse" ? 'data: {"choices":[{"index":0,"delta":{"content":"' : '{"model":"m","message":{"role":"assistant","content":"',
  );
  let total = 0;
  return new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(head);
      total += head.length;
      hooks.onBytes(total);
    },
    pull(c) {
      if (hooks.signal.aborted) {
        hooks.finish("aborted");
        c.close();
        return;
      }
      c.enqueue(FILLER);
      total += FILLER.length;
      hooks.onBytes(total);
    },
    cancel() {
      hooks.finish("aborted");
    },
  });
}
