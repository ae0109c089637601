import { existsSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
// A type only: PGlite (WebAssembly, seconds to start) is loaded by `import()` when first opened.
import type { PGlite } from "@electric-sql/pglite";
import { readTemplate } from "./pglite-template.js";

/**
 * PostgreSQL's buffer cache at 16 MB instead of its default 128 MB: the request log writes small
 * batches and reads recent rows, and the WebAssembly memory a bigger cache grows into is never
 * given back (measured: 300 → 180 MB RSS for the database).
 */
const SHARED_BUFFERS = ["-c", "shared_buffers=16MB"];

/** Whether `dataDir` is a directory that holds no database yet (PGlite would run `initdb` there). */
export function needsInitdb(dataDir: string): boolean {
  return !dataDir.includes("://") && !existsSync(join(dataDir, "PG_VERSION"));
}

/**
 * Opens PGlite with the gateway's start parameters. A `memory://` database starts from the
 * template when there is one (see pglite-template.ts); `from` starts a directory from it.
 */
export async function openPglite(dataDir: string, from?: Blob): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  const template = from ?? (dataDir.startsWith("memory://") ? readTemplate() : undefined);
  return PGlite.create(dataDir, { startParams: [...PGlite.defaultStartParams, ...SHARED_BUFFERS], ...(template && { loadDataDir: template }) });
}

const isEmptyOrMissing = (dir: string): boolean => !existsSync(dir) || readdirSync(dir).length === 0;

/**
 * Makes the database in `dataDir` and closes it. From the template, it is unpacked into a sibling
 * directory and renamed into place, so a start cut short never leaves half a database behind; a
 * directory that already holds files, or no usable template, gets PGlite's own `initdb`.
 * Returns how it was made.
 */
export async function createPgliteDatabase(dataDir: string): Promise<"template" | "initdb"> {
  const template = isEmptyOrMissing(dataDir) ? readTemplate() : undefined;
  if (template) {
    const unpacking = `${dataDir}.creating-${process.pid}`;
    rmSync(unpacking, { recursive: true, force: true });
    try {
      await (await openPglite(unpacking, template)).close();
      if (existsSync(dataDir)) rmdirSync(dataDir); // empty: checked above; rmdir refuses anything else
      renameSync(unpacking, dataDir);
      return "template";
    } catch {
      // A damaged template: initdb below makes the database as if there were none.
      rmSync(unpacking, { recursive: true, force: true });
    }
  }
  await (await openPglite(dataDir)).close();
  return "initdb";
}
