// The request log's PGlite thread (node:worker_threads). PGlite is PostgreSQL compiled to
// WebAssembly: starting it (initdb on an empty directory, then recovery) and running statements is
// CPU work that would otherwise hold the gateway's event loop for seconds. Jobs run one at a time,
// in the order they arrive; pglite-thread.ts is the other side.
import { parentPort, workerData } from "node:worker_threads";
import type { PGlite } from "@electric-sql/pglite";
import { createPgliteDatabase, openPglite } from "./pglite-open.js";
import type { PgliteJob, PgliteReply, PgliteWorkerData } from "./pglite-protocol.js";

const port = parentPort;
if (!port) throw new Error("the PGlite worker runs only as a worker thread");
const { dataDir, initOnly } = workerData as PgliteWorkerData;
if (initOnly) {
  await createPgliteDatabase(dataDir);
  port.close();
}

let opened: Promise<PGlite> | undefined;
// A failed open is tried again by the next job (the writer retries with backoff).
const db = (): Promise<PGlite> =>
  (opened ??= openPglite(dataDir).catch((e: unknown) => {
    opened = undefined;
    throw e;
  }));

async function run(job: PgliteJob): Promise<PgliteReply> {
  try {
    if (job.op === "close") {
      if (opened) {
        const d = await opened;
        if (!d.closed) await d.close();
      }
      return { id: job.id, ok: true, rows: [] };
    }
    const d = await db();
    if (job.op === "exec") {
      await d.exec(job.sql);
      return { id: job.id, ok: true, rows: [] };
    }
    return { id: job.id, ok: true, rows: (await d.query(job.sql, job.params)).rows };
  } catch (e) {
    const code = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
    return { id: job.id, ok: false, message: e instanceof Error ? e.message : String(e), ...(code !== undefined && { code }) };
  }
}

let chain: Promise<unknown> = Promise.resolve();
if (!initOnly) {
  port.on("message", (job: PgliteJob) => {
    chain = chain.then(async () => {
      port.postMessage(await run(job));
      if (job.op === "close") port.close();
    });
  });
}
