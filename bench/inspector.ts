import { WebSocket } from "undici";

/** The DevTools URL a process started with `--inspect=127.0.0.1:0` printed on stderr. */
export function inspectorUrl(log: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(log)?.[1];
}

/** A DevTools protocol session with another process: calls, and the events they stream. */
export interface InspectorSession {
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  /** Every event named `method` until the session closes. */
  on(method: string, listener: (params: unknown) => void): void;
  close(): void;
}

export async function openInspector(url: string): Promise<InspectorSession> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`cannot reach the inspector at ${url}`)), { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (result: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, (params: unknown) => void>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: unknown };
    if (msg.id !== undefined) {
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) w?.reject(new Error(msg.error.message));
      else w?.resolve(msg.result);
    } else if (msg.method !== undefined) listeners.get(msg.method)?.(msg.params);
  });
  return {
    call: (method, params) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, ...(params && { params }) }));
      }),
    on: (method, listener) => void listeners.set(method, listener),
    close: () => ws.close(),
  };
}

/**
 * Force a full GC in another process through its inspector and return its V8 heap in use.
 * Without it, an RSS reading after a burst of requests counts garbage not yet collected, and the
 * per-stream figure swings by tens of KB from one run to the next.
 */
export async function collectGarbage(url: string): Promise<{ usedBytes: number }> {
  const s = await openInspector(url);
  try {
    // Twice: the first pass may only free what the second can then compact.
    await s.call("HeapProfiler.collectGarbage");
    await s.call("HeapProfiler.collectGarbage");
    const usage = (await s.call("Runtime.getHeapUsage")) as { usedSize?: number };
    return { usedBytes: usage.usedSize ?? NaN };
  } finally {
    s.close();
  }
}

/** A JSON-able value computed in the other process's main context (`Runtime.evaluate`). */
export async function evaluate<T>(url: string, expression: string): Promise<T> {
  const s = await openInspector(url);
  try {
    const r = (await s.call("Runtime.evaluate", { expression, returnByValue: true })) as { result?: { value?: unknown }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.text}`);
    return r.result?.value as T;
  } finally {
    s.close();
  }
}
