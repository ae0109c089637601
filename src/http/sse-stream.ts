import type { Context } from "hono";
import { formatSse, KEEPALIVE, type SseMessage } from "../events/index.js";
import { nodeChannel, webChannel, type Channel } from "./channel.js";

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
};

export interface SseStreamOptions {
  /** A `: ping` comment after this much silence, so proxies do not cut a long reasoning phase. */
  keepaliveMs: number;
  /** A client that has not taken its backlog for this long is let go: `onStall`, then the socket is cut. */
  stallMs: number;
  /** Bytes the client may be behind before writers wait for it (beyond the socket's own buffer). */
  highWaterBytes?: number;
  onStall: () => void;
}

/** Where the response is: nothing sent yet (its status may still change), streaming, or over. */
type Phase = "holding" | "open" | "ended";

/**
 * One server-sent-events response, in the manner of hono's `StreamingApi`: messages written
 * before `open()` are held (the status can still be an error), then flushed; keep-alive pings
 * while it is quiet; `ready()` for backpressure, which lets go of a client that stops reading;
 * `onAbort` for a client that leaves. Each message becomes text in `formatSse` alone.
 */
export class SseStream {
  private phase: Phase = "holding";
  /** Text written while holding, sent when the response opens. */
  private held = "";
  private readonly keepalive: NodeJS.Timeout;
  private stalled: NodeJS.Timeout | undefined;
  private readonly highWaterBytes: number;

  constructor(
    private readonly channel: Channel,
    private readonly opts: SseStreamOptions,
  ) {
    this.highWaterBytes = opts.highWaterBytes ?? 64 * 1024;
    const keepalive = (this.keepalive = setTimeout(() => {
      if (this.phase === "open") this.channel.write(formatSse(KEEPALIVE));
      keepalive.refresh();
    }, opts.keepaliveMs));
  }

  get isOpen(): boolean {
    return this.phase === "open";
  }

  get isHolding(): boolean {
    return this.phase === "holding";
  }

  /** Commit the response: the status line and headers, then what was held. */
  open(headers: Record<string, string>): void {
    if (this.phase !== "holding") return;
    this.phase = "open";
    const held = this.held;
    this.held = "";
    this.channel.open(200, { ...headers, ...SSE_HEADERS }, held);
  }

  /** Write one message (held until `open()`); `id` is its SSE id on resumable streams. */
  write(m: SseMessage, id?: number): void {
    if (this.phase === "ended") return;
    const text = formatSse(m, id);
    this.keepalive.refresh();
    if (this.phase === "holding") this.held += text;
    else this.channel.write(text);
  }

  /**
   * Backpressure: while the client is behind, a promise to wait on before producing more;
   * `undefined` (no allocation) when it keeps up. A client that takes nothing for `stallMs` is
   * let go: `onStall` ends its request, and its socket is cut so its slot is freed at once.
   */
  ready(): Promise<void> | undefined {
    if (this.phase !== "open" || this.channel.closed || this.channel.backlog < this.highWaterBytes) return undefined;
    this.stalled ??= setTimeout(() => {
      this.opts.onStall();
      this.channel.destroy();
    }, this.opts.stallMs);
    return this.channel.drained().then(() => {
      clearTimeout(this.stalled);
      this.stalled = undefined;
    });
  }

  /** No more messages: the response ends (a held one is dropped: the caller answers otherwise). */
  end(): void {
    clearTimeout(this.keepalive);
    clearTimeout(this.stalled);
    const wasOpen = this.phase === "open";
    this.phase = "ended";
    this.held = "";
    if (wasOpen) this.channel.end();
  }
}

/**
 * The channel for a streamed answer: Node's own response when served by @hono/node-server (the
 * body is written to the socket directly), else a web stream whose Response `onOpen` receives.
 */
export function channelFor(c: Context, onOpen: (r: Response) => void, onCancel: () => void): { channel: Channel; direct: boolean } {
  const outgoing = (c.env as { outgoing?: import("node:http").ServerResponse } | undefined)?.outgoing;
  return outgoing ? { channel: nodeChannel(outgoing), direct: true } : { channel: webChannel(onOpen, onCancel), direct: false };
}

/** Headers middleware set before the handler (CORS, the request id, the instance) belong on a direct response too. */
export function headersOf(c: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  c.res.headers.forEach((v, k) => void (headers[k] = v));
  return headers;
}

/**
 * Tells @hono/node-server the response was written to the socket directly. One per request:
 * middleware that runs after the handler sets headers on it, so a shared constant would
 * collect them.
 */
export function alreadySent(): Response {
  return new Response(null, { headers: { "x-hono-already-sent": "true" } });
}
