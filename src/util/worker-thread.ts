import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread on `script`: the compiled `.js` file beside the caller (dist/), or, run
 * from a checkout's TypeScript sources (tsx, the tests' in-process gateways), a `.ts` file.
 *
 * A `.ts` script is bundled once per process with esbuild (a dev dependency, there in every
 * checkout as tsx is) into `node_modules/.cache/`, and each thread starts from that JavaScript
 * file, as a compiled one does. Booting tsx inside every thread instead cost a loader thread, an
 * esbuild service and a compile of every import per thread: 0.6 CPU-s a thread against 0.23.
 */
export function startWorker(script: URL, options: WorkerOptions): Worker {
  return new Worker(script.pathname.endsWith(".ts") ? bundledFromSource(script) : script, options);
}

const bundled = new Map<string, URL>();
// Spelled in two halves: scripts/build-server.ts rewrites the whole expression wherever it appears.
const META_URL = ["import.meta", "url"].join(".");

/** The JavaScript bundle of a TypeScript worker script, built on first use in this process. */
function bundledFromSource(script: URL): URL {
  const done = bundled.get(script.href);
  if (done) return done;
  const entry = fileURLToPath(script);
  const require = createRequire(script);
  const esbuild = require("esbuild") as typeof import("esbuild");
  const nodeModules = dirname(dirname(require.resolve("esbuild/package.json")));
  const checkout = dirname(nodeModules);
  const result = esbuild.buildSync({
    absWorkingDir: checkout,
    entryPoints: [entry],
    bundle: true,
    // Packages stay imports; the bundle sits inside node_modules, so they resolve as the sources' do.
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20.19",
    write: false,
    metafile: true,
    logLevel: "error",
    // A module that finds files beside itself keeps its source's URL (dist/ and the template are
    // found from src/ as when tsx runs it). One URL for the whole bundle: see sameFolderOnly.
    define: { [META_URL]: JSON.stringify(script.href) },
  });
  sameFolderOnly(entry, checkout, Object.keys(result.metafile.inputs));
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const name = `${basename(entry, ".ts")}-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`;
  const dir = join(nodeModules, ".cache/staged-gateway-workers");
  const file = join(dir, name);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    // Written whole, then renamed: another process may be starting a thread on this very file.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, file);
  }
  const url = pathToFileURL(file);
  bundled.set(script.href, url);
  return url;
}

/**
 * The module URL is defined once for the whole bundle, as the entry's: right for a module in the
 * entry's folder, and for resolving a package (`createRequire(<the URL>)`) from anywhere in the
 * checkout; wrong for a file path built from it elsewhere. Refuse such a bundle rather than start
 * a thread that would look for its files in the wrong place.
 */
function sameFolderOnly(entry: string, checkout: string, inputs: string[]): void {
  for (const input of inputs) {
    const path = join(checkout, input);
    if (input.includes("node_modules/") || dirname(path) === dirname(entry)) continue;
    const text = readFileSync(path, "utf8");
    const uses = text.split(META_URL).length - 1;
    const resolving = text.split(`createRequire(${META_URL})`).length - 1;
    if (uses > resolving) throw new Error(`${input} builds a path from ${META_URL}: a worker bundled from ${entry} would give it the entry's URL, not its own`);
  }
}
