import type { ServerResponse } from "node:http";

/**
 * Where a streamed response's bytes go. On Node it is the raw `ServerResponse`: the benchmark's
 * profile put web-stream hand-offs (enqueue, read, node-server's copy loop) among the largest
 * per-chunk costs, and the socket's own buffer is what backpressure has to look at anyway.
 * Elsewhere (another runtime, `app.request()` in tests) a web stream stands in.
 */
export interface Channel {
  /** Send the status line and headers; once. */
  open(status: number, headers: Record<string, string>): void;
  write(text: string): void;
  /** Bytes handed over that the client has not taken yet. */
  readonly backlog: number;
  /** Resolves once the backlog has been flushed (or the connection is gone). */
  drained(): Promise<void>;
  end(): void;
  /** Cut the connection now (a client too slow to read): whatever is queued is dropped. */
  destroy(): void;
  /** The connection is gone or the response ended: writes are dropped. */
  readonly closed: boolean;
}

export function nodeChannel(res: ServerResponse): Channel {
  return new NodeChannel(res);
}

/** Ends a write burst's cork (a module function: no closure per stream). */
function uncork(channel: NodeChannel): void {
  channel.uncork();
}

/** A class rather than an object of closures: one prototype for every open stream's channel. */
class NodeChannel implements Channel {
  private waiting: Promise<void> | undefined;
  // Frames written in one turn of the event loop (one upstream read often holds many events)
  // leave in one writev: corked on the first write, uncorked once the turn is over. The profile
  // put writev and per-chunk framing near the top before this.
  private corked = false;

  constructor(private readonly res: ServerResponse) {}

  uncork(): void {
    this.corked = false;
    if (!this.res.destroyed) this.res.uncork();
  }

  open(status: number, headers: Record<string, string>): void {
    this.res.writeHead(status, headers);
    // Headers go out now, not with the first event: the client knows the request was accepted.
    this.res.flushHeaders();
  }

  write(text: string): void {
    const res = this.res;
    if (res.destroyed || res.writableEnded) return;
    if (!this.corked) {
      this.corked = true;
      res.cork();
      setImmediate(uncork, this);
    }
    res.write(text);
  }

  get backlog(): number {
    return this.res.writableLength;
  }

  drained(): Promise<void> {
    const res = this.res;
    if (!res.writableNeedDrain || res.destroyed) return Promise.resolve();
    // One promise for every waiter of the same drain.
    this.waiting ??= new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        this.waiting = undefined;
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
    return this.waiting;
  }

  end(): void {
    if (this.res.writableEnded) return;
    // end() flushes whatever is corked.
    this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }
}

const encoder = new TextEncoder();

/** A channel over a web `ReadableStream`; `response()` is resolved once it is opened. */
export function webChannel(onOpen: (r: Response) => void, onCancel: () => void): Channel {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const body = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => {
      closed = true;
      onCancel();
    },
  });
  return {
    open: (status, headers) => onOpen(new Response(body, { status, headers })),
    write(text) {
      if (!closed) controller.enqueue(encoder.encode(text));
    },
    get backlog() {
      return Math.max(0, -(controller.desiredSize ?? 0));
    },
    drained: () => Promise.resolve(),
    end() {
      if (closed) return;
      closed = true;
      controller.close();
    },
    destroy() {
      if (closed) return;
      closed = true;
      controller.error(new Error("the client read nothing for too long"));
      onCancel();
    },
    get closed() {
      return closed;
    },
  };
}
