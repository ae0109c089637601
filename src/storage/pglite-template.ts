import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A new embedded request log starts from a template: the data directory PGlite's `initdb` makes,
 * taken once by `make build` (scripts/build-pglite-template.ts) as a gzipped tar beside this
 * module in `dist/`. Unpacking it (pglite-open.ts) costs a tenth of running `initdb` in
 * WebAssembly (measured on two cores: 0.5 s of CPU instead of 4.7 s), on every first start; every
 * `memory://` database is loaded from it too. The file name carries PGlite's version; a template made by another version is not
 * used, and without one the database is made by `initdb` as before.
 */

/** PGlite's own version, from its package.json (which its `exports` do not expose to `import`). */
export function pgliteVersion(): string {
  const main = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  // …/node_modules/@electric-sql/pglite/dist/index.cjs → …/@electric-sql/pglite/package.json
  const pkg = JSON.parse(readFileSync(join(dirname(main), "..", "package.json"), "utf8")) as { version?: unknown };
  if (typeof pkg.version !== "string") throw new Error("@electric-sql/pglite's package.json names no version");
  return pkg.version;
}

export function templateFileName(version: string): string {
  return `pglite-template-${version}.tar.gz`;
}

/**
 * Where the template lives: beside the compiled module; run from the sources (tsx, the tests'
 * in-process gateways), the one `make build` wrote into `dist/`.
 */
export function templateDir(): string {
  const here = import.meta.url.endsWith(".ts") ? new URL("../../dist/src/storage/", import.meta.url) : new URL("./", import.meta.url);
  return fileURLToPath(here);
}

/** The template (a gzipped tar) for the installed PGlite, or undefined when there is none. */
export function readTemplate(): Uint8Array | undefined {
  try {
    return readFileSync(join(templateDir(), templateFileName(pgliteVersion())));
  } catch {
    return undefined;
  }
}
