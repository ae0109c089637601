/**
 * The validation worker as plain JavaScript, for unit tests that start validators by the dozen.
 * From the TypeScript source each worker thread would boot tsx and compile the worker and its
 * imports (a second or more on a busy machine, per validator); bundled once per test process with
 * esbuild it starts like the compiled `dist/` one. Same source, same code path in the pool
 * (`script` ending in `.mjs` is loaded as is).
 */
import { mkdirSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildSync } from "esbuild";

const ROOT = resolve(import.meta.dirname, "../..");
let built: URL | undefined;

export function validationWorkerScript(): URL {
  if (built) return built;
  // Beside node_modules, so the bundle's bare imports (ajv, …) resolve as the source's do.
  const dir = join(ROOT, "node_modules/.cache/test-validation-worker");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "worker.mjs");
  const partial = `${file}.${process.pid}.tmp`;
  buildSync({
    entryPoints: [join(ROOT, "src/validation/worker.ts")],
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: partial,
    logLevel: "error",
  });
  // Atomic: other test processes may be loading the previous copy right now.
  renameSync(partial, file);
  built = pathToFileURL(file);
  return built;
}
