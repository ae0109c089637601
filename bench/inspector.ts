import { WebSocket } from "undici";

/** The DevTools URL a process started with `--inspect=127.0.0.1:0` printed on stderr. */
export function inspectorUrl(log: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(log)?.[1];
}

/**
 * Force a full GC in another process through its inspector and return its V8 heap in use.
 * Without it, an RSS reading after a burst of requests counts garbage not yet collected, and the
 * per-stream figure swings by tens of KB from one run to the next.
 */
export async function collectGarbage(url: string): Promise<{ usedBytes: number }> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`cannot reach the inspector at ${url}`)), { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  });
  const call = (method: string): Promise<unknown> =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method }));
    });
  try {
    // Twice: the first pass may only free what the second can then compact.
    await call("HeapProfiler.collectGarbage");
    await call("HeapProfiler.collectGarbage");
    const usage = (await call("Runtime.getHeapUsage")) as { usedSize?: number };
    return { usedBytes: usage.usedSize ?? NaN };
  } finally {
    ws.close();
  }
}
