import type { Worker } from "node:worker_threads";
import { startWorker } from "../util/index.js";
import { needsInitdb } from "./pglite-open.js";
import { isPgliteReply, type PgliteJob, type PgliteReply, type PgliteWorkerData } from "./pglite-protocol.js";

type JobBody = PgliteJob extends infer J ? (J extends PgliteJob ? Omit<J, "id"> : never) : never;

/** A statement PGlite refused, with its SQLSTATE when it has one (as pg's errors carry it). */
export class PgliteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "PgliteError";
  }
}

/** One PGlite in its own thread: `send` runs a job there and resolves with its rows. */
export interface PgliteThread {
  send(job: JobBody): Promise<unknown[]>;
  /** Closes the database and ends the thread; later jobs reject. */
  close(): Promise<void>;
}

interface Pending {
  resolve: (rows: unknown[]) => void;
  reject: (e: Error) => void;
}

/**
 * Starts the thread on the first job, not here. On a directory without a database a first,
 * short-lived thread creates it (see `initOnly`). The thread keeps the process alive only while
 * a job is pending. A thread that dies (a WebAssembly abort, say) fails what was pending, and the
 * next job starts a new one: the request log's writer retries with backoff.
 */
export function createPgliteThread(data: PgliteWorkerData, script: URL = defaultScript()): PgliteThread {
  let worker: Promise<Worker> | undefined;
  let current: Worker | undefined;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed = false;

  function spawn(workerData: PgliteWorkerData): Worker {
    const options = { workerData, execArgv: [], stdout: false, stderr: false };
    return startWorker(script, options);
  }

  /** Runs the `initOnly` thread to its end. */
  function initdb(): Promise<void> {
    const w = spawn({ ...data, initOnly: true });
    return new Promise<void>((resolve, reject) => {
      let failure: Error | undefined;
      w.on("error", (e: Error) => (failure = e));
      w.on("exit", (code) => {
        if (code === 0 && !failure) resolve();
        else reject(new Error(`the request log's database could not be created in ${data.dataDir}: ${failure?.message ?? `exit code ${code}`}`));
      });
    });
  }

  async function start(): Promise<Worker> {
    if (needsInitdb(data.dataDir)) await initdb();
    const w = spawn(data);
    current = w;
    if (pending.size === 0) w.unref();
    w.on("message", (m: unknown) => {
      if (isPgliteReply(m)) settle(m);
    });
    const gone = (why: string): void => {
      if (current !== w) return;
      current = undefined;
      worker = undefined;
      const e = new Error(`the request log's database thread stopped: ${why}`);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    };
    w.on("error", (e: Error) => gone(e.message));
    w.on("exit", (code) => gone(`exit code ${code}`));
    return w;
  }

  function settle(m: PgliteReply): void {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) current?.unref();
    if (m.ok) p.resolve(m.rows);
    else p.reject(new PgliteError(m.message, m.code));
  }

  function send(job: JobBody): Promise<unknown[]> {
    if (closed) return Promise.reject(new Error("the request log's database is closed"));
    const id = nextId++;
    const ready = (worker ??= start().catch((e: unknown) => {
      // The next job tries again.
      worker = undefined;
      throw e;
    }));
    return new Promise<unknown[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ready.then(
        (w) => {
          if (!pending.has(id)) return;
          w.ref();
          w.postMessage({ ...job, id });
        },
        (e: unknown) => {
          pending.delete(id);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  return {
    send,
    async close() {
      if (closed) return;
      if (!worker) {
        closed = true;
        return;
      }
      try {
        await send({ op: "close" });
      } finally {
        closed = true;
        // PGlite has closed (or the thread is already gone): nothing is lost by ending it now.
        await current?.terminate();
      }
    },
  };
}

function defaultScript(): URL {
  return new URL(import.meta.url.endsWith(".ts") ? "./pglite-worker.ts" : "./pglite-worker.js", import.meta.url);
}
