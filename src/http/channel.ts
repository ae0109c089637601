import type { ServerResponse } from "node:http";

/**
 * Where a streamed response's bytes go. On Node it is the raw `ServerResponse`: the benchmark's
 * profile put web-stream hand-offs (enqueue, read, node-server's copy loop) among the largest
 * per-chunk costs, and the socket's own buffer is what backpressure has to look at anyway.
 * Elsewhere (another runtime, `app.request()` in tests) a web stream stands in.
 */
export interface Channel {
  /** Send the status line and headers, with `first` (text held until now) when there is any; once. */
  open(status: number, headers: Record<string, string>, first?: string): void;
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

/** Sends a write burst (a module function: no closure per stream). */
function flush(channel: NodeChannel): void {
  channel.flush();
}

/** A class rather than an object of closures: one prototype for every open stream's channel. */
class NodeChannel implements Channel {
  private waiting: Promise<void> | undefined;
  // Frames written in one turn of the event loop (one upstream read often holds many events)
  // leave as one string in one `res.write` once the turn is over. A `res.write` per frame, even
  // corked, is four entries in the socket's buffer (the chunk's size line, its CRLFs, the text),
  // all handed to writev: the profile put that (writev, clearBuffer) at ≈ 10 % of the gateway's
  // CPU under load (BENCHMARKS.md, "CPU per request").
  private pending = "";

  constructor(private readonly res: ServerResponse) {}

  flush(): void {
    const text = this.pending;
    if (text === "") return;
    this.pending = "";
    const res = this.res;
    if (!res.destroyed && !res.writableEnded) res.write(text);
  }

  open(status: number, headers: Record<string, string>, first?: string): void {
    const res = this.res;
    res.writeHead(status, headers);
    // Headers go out now, not with the next event: the client knows the request was accepted.
    // What was held goes with them, in the same socket write (corked). The header block is sent
    // on its own rather than joined to the first chunk, because Node keeps it for the response's
    // life: joined, it stays a tree of ≈ 40 string pieces (≈ 1 KB per open stream); written
    // alone, the socket write flattens it in place.
    if (first === undefined || first === "") {
      res.flushHeaders();
      return;
    }
    res.cork();
    res.flushHeaders();
    res.write(first);
    res.uncork();
  }

  write(text: string): void {
    const res = this.res;
    if (res.destroyed || res.writableEnded) return;
    if (this.pending === "") setImmediate(flush, this);
    this.pending += text;
  }

  get backlog(): number {
    return this.res.writableLength + this.pending.length;
  }

  drained(): Promise<void> {
    // What this turn wrote goes out first, so the socket's own buffer tells whether to wait.
    this.flush();
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
    const text = this.pending;
    this.pending = "";
    // The burst and the response's end leave together.
    if (text !== "" && !this.res.destroyed) this.res.end(text);
    else this.res.end();
  }

  destroy(): void {
    this.pending = "";
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
    open(status, headers, first) {
      onOpen(new Response(body, { status, headers }));
      if (first !== undefined && first !== "" && !closed) controller.enqueue(encoder.encode(first));
    },
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
