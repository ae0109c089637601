// `make build`: the template a new embedded request log starts from (see src/storage/pglite-template.ts):
// the data directory PGlite's initdb makes, as a gzipped tar, named for PGlite's version.
import { readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pgliteVersion, templateDir, templateFileName } from "../src/storage/pglite-template.js";

const dir = templateDir();
const name = templateFileName(pgliteVersion());
mkdirSync(dir, { recursive: true });
// Templates of other PGlite versions are of no use any more.
for (const f of readdirSync(dir)) if (f.startsWith("pglite-template-") && f !== name) rmSync(join(dir, f));

const db = await PGlite.create("memory://");
const tar = new Uint8Array(await (await db.dumpDataDir("gzip")).arrayBuffer());
await db.close();
writeFileSync(join(dir, name), tar);
process.stdout.write(`request log template: ${name} ${(tar.length / 1024 / 1024).toFixed(1)} MiB\n`);
