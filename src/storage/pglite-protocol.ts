/** Messages between the request log and its PGlite thread (pglite-thread.ts ↔ pglite-worker.ts). */

export interface PgliteWorkerData {
  /** A directory, or `memory://` for a throwaway database. */
  dataDir: string;
  /**
   * Create the database, close it and end: an instance that ran `initdb` keeps initdb's
   * WebAssembly memory for as long as it lives (measured: 750 MB RSS instead of 300 MB), and a
   * thread that ends gives all of it back. The thread that then serves opens the database anew.
   */
  initOnly?: boolean;
}

export type PgliteJob =
  | { id: number; op: "query"; sql: string; params: unknown[] }
  | { id: number; op: "exec"; sql: string }
  /** Closes the database; the thread ends after answering. */
  | { id: number; op: "close" };

/** `code` is PostgreSQL's SQLSTATE when there is one: the writer tells bad data from a bad server by it. */
export type PgliteReply = { id: number; ok: true; rows: unknown[] } | { id: number; ok: false; message: string; code?: string };

export function isPgliteReply(m: unknown): m is PgliteReply {
  return typeof m === "object" && m !== null && "id" in m && typeof m.id === "number" && "ok" in m && typeof m.ok === "boolean";
}
