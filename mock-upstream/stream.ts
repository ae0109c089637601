import type { ServerResponse } from "node:http";
import { IN_STREAM_ERROR, streamFaultAt } from "./faults.js";
import type { StreamFault } from "./faults.js";
import { sleep, untilAborted } from "./timing.js";
import type { MockCallOutcome, MockFaults } from "./types.js";

/** One chunk of the script (an SSE event or an NDJSON line) and the pause before it. */
export interface Frame {
  data: unknown;
  /** SSE event name (Anthropic names every event; OpenAI and Gemini send bare `data:`). */
  event?: string;
  delayMs: number;
  /** The API's own end marker (Anthropic `message_stop`, Ollama `done: true`): left out under `omitDone`. */
  terminal?: boolean;
}

/** A frame without its pause: what a fault sends. */
export type FaultFrame = Omit<Frame, "delayMs" | "terminal">;

export interface StreamScript {
  frames: Frame[];
  /** Snapshot taken when the call arrived, so a mid-stream `configure` cannot change this call. */
  faults: MockFaults;
  /** The chunk to send for a `finish_reason: "error"` fault. */
  finishErrorChunk: Record<string, unknown>;
  /** How frames are written; default SSE. */
  format?: "sse" | "ndjson";
  /** Written after the last frame unless `omitDone`; default OpenAI's `data: [DONE]`. Natives end with a terminal frame. */
  doneText?: string;
  /** The in-stream error for an `errorAfterChunks` fault; default OpenAI's error object. */
  errorFrame?: FaultFrame;
}

export interface StreamHooks {
  /** Aborts when the client goes away or the mock closes; every wait listens to it. */
  signal: AbortSignal;
  /** Called when the response body is cancelled, i.e. node-server saw the socket close. */
  abort(): void;
  onChunk(): void;
  finish(outcome: Exclude<MockCallOutcome, "pending">): void;
  /** The raw node response when served by @hono/node-server; needed to cut the socket for a drop. */
  outgoing: ServerResponse | undefined;
}

const encoder = new TextEncoder();

/** Headers of an OpenAI-style SSE response. Explicit chunking stops node-server from buffering. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "transfer-encoding": "chunked",
} as const;

/**
 * Play a script as an SSE body. The body's `cancel` is our abort signal from node-server: it fires
 * when the socket closes, so a client that goes away stops the script between two chunks.
 */
export function scriptedBody(script: StreamScript, hooks: StreamHooks): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      hooks.abort();
    },
  });
  const { signal } = hooks;
  let sent = 0;

  function write(text: string): void {
    if (!signal.aborted) controller.enqueue(encoder.encode(text));
  }
  function send(frame: FaultFrame): void {
    if (signal.aborted) return;
    const json = JSON.stringify(frame.data);
    if (script.format === "ndjson") write(`${json}\n`);
    else write(`${frame.event !== undefined ? `event: ${frame.event}\n` : ""}data: ${json}\n\n`);
    sent += 1;
    hooks.onChunk();
  }
  function end(outcome: "completed" | "failed"): void {
    hooks.finish(outcome);
    if (!signal.aborted) controller.close();
  }

  /** Wait until node-server has taken every queued chunk and sent the headers (bounded at ~1 s). */
  async function flushed(): Promise<void> {
    for (let i = 0; i < 500; i += 1) {
      const drained = (controller.desiredSize ?? 1) >= 1;
      if (drained && (hooks.outgoing?.headersSent ?? true)) break;
      if (!(await sleep(2, signal))) return;
    }
    // One more turn so the last write leaves the response for the socket.
    await sleep(5, signal);
  }

  async function applyFault(fault: StreamFault): Promise<void> {
    switch (fault) {
      case "error":
        send(script.errorFrame ?? { data: IN_STREAM_ERROR });
        return end("failed");
      case "finish_error":
        send({ data: script.finishErrorChunk });
        return end("failed");
      case "stall":
        // Outcome becomes "aborted" through the abort listener once the client gives up.
        return untilAborted(signal);
      case "drop": {
        hooks.finish("dropped");
        await flushed();
        const socket = hooks.outgoing?.socket;
        // end() flushes what was written, then closes mid-body: the client sees a cut stream.
        if (socket) socket.end();
        else if (!signal.aborted) controller.error(new Error("mock upstream dropped the connection"));
        return;
      }
    }
  }

  async function play(): Promise<void> {
    for (const frame of script.frames) {
      // A native end marker is where OpenAI's [DONE] would be: every due fault fires before it.
      const atEnd = frame.terminal === true;
      const fault = streamFaultAt(script.faults, sent, atEnd);
      if (fault !== undefined) return applyFault(fault);
      if (atEnd && script.faults.omitDone === true) continue;
      if (!(await sleep(frame.delayMs, signal))) return;
      send(frame);
    }
    const fault = streamFaultAt(script.faults, sent, true);
    if (fault !== undefined) return applyFault(fault);
    const doneText = script.doneText ?? "data: [DONE]\n\n";
    if (script.faults.omitDone !== true && doneText !== "") write(doneText);
    end("completed");
  }

  play().catch((err: unknown) => {
    // Only an enqueue racing a cancel can land here; the abort listener has recorded the outcome.
    if (!signal.aborted) controller.error(err);
  });
  return body;
}
