import { connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  url(path?: string): string;
  /** Close every connection and reset new ones at once (a crashed or restarted server). */
  cut(): void;
  /** Keep connections open but forward nothing until restored (a partitioned network: TCP holds the bytes). */
  blackhole(): void;
  /** Forward again; new connections go through. */
  restore(): void;
  /** Hold every chunk `ms` before passing it on, both ways (a saturated host: each reply late, none lost). */
  slow(ms: number): void;
  /**
   * When a client sends bytes containing `text` (matched without case): `swallow` loses them (the
   * server never sees them, the connection stays open, the client waits for a reply that never
   * comes); `drop` closes the connection before they reach the server. `undefined` ends the rule.
   */
  onSend(text: string, action: "swallow" | "drop" | undefined): void;
  /** How many chunks the `onSend` rules have acted on. */
  intercepted(): number;
  /** Close the connections open now; new ones go through as before (a blip). */
  reset(): void;
  close(): Promise<void>;
}

type Mode = "pass" | "cut" | "blackhole";

/**
 * A TCP proxy in front of a server we must not stop (the shared Redis): tests cut the path to it
 * instead. Each client connection gets its own upstream connection.
 */
export async function startTcpProxy(target: { host: string; port: number }, scheme = "redis"): Promise<TcpProxy> {
  let mode: Mode = "pass";
  let delayMs = 0;
  const rules = new Map<string, "swallow" | "drop">();
  let intercepts = 0;
  // Equal delays keep the bytes in order: timers of one duration fire in the order they were set.
  const forward = (from: Socket, to: Socket, fromClient = false): void => {
    from.on("data", (chunk: Buffer) => {
      if (fromClient && rules.size > 0) {
        const text = chunk.toString("latin1").toLowerCase();
        const action = [...rules].find(([t]) => text.includes(t))?.[1];
        if (action) intercepts++;
        if (action === "drop") {
          from.destroy();
          to.destroy();
        }
        if (action) return;
      }
      if (delayMs === 0) to.write(chunk);
      else setTimeout(() => to.writable && to.write(chunk), delayMs);
    });
  };
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    if (mode === "cut") return void client.destroy();
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    forward(client, upstream, true);
    forward(upstream, client);
    if (mode === "blackhole") for (const s of pair) s.pause();
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const destroyAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url: (path = "") => `${scheme}://127.0.0.1:${port}${path}`,
    cut() {
      mode = "cut";
      destroyAll();
    },
    blackhole() {
      mode = "blackhole";
      for (const pair of pairs) for (const s of pair) s.pause();
    },
    restore() {
      mode = "pass";
      for (const pair of pairs) for (const s of pair) s.resume();
    },
    slow(ms) {
      delayMs = ms;
    },
    onSend(text, action) {
      if (action) rules.set(text.toLowerCase(), action);
      else rules.delete(text.toLowerCase());
    },
    intercepted: () => intercepts,
    reset: destroyAll,
    close() {
      destroyAll();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
