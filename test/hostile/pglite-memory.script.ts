// Run by idle-memory.test.ts in a process of its own, with --expose-gc: opens the request log's
// PGlite on a fresh data directory, collects garbage, and prints what the process holds.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPgliteDb, runMigrations } from "../../src/storage/index.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const dir = await mkdtemp(join(tmpdir(), "idle-"));
const db = createPgliteDb({ dataDir: join(dir, "requests") });
await runMigrations(db);
const settings = await db.query<{ shared_buffers: string }>("SHOW shared_buffers");
for (let i = 0; i < 3; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 100));
}
const m = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ sharedBuffers: settings[0]?.shared_buffers, externalMb: Math.round(m.external / 1048576), rssMb: Math.round(m.rss / 1048576) })}\n`,
);
await db.close();
await rm(dir, { recursive: true, force: true });
