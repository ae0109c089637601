import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The pages' browser code, bundled with esbuild: `client/*.ts` are real modules (checked by tsc and
 * eslint) that import the event types and the typed client, plus marked and DOMPurify. `make build`
 * writes the bundles next to the compiled web room (see assets.ts); from source they are built in
 * memory on first use, so tests and `make demo` need no extra step.
 */

/** The asset names the pages link to, and the source each one is built from (relative to this file). */
export const WEB_ENTRIES = {
  "playground.js": "client/playground.ts",
  "admin.js": "client/admin.ts",
  "app.css": "client/style.css",
} as const;

export type WebAssetName = keyof typeof WEB_ENTRIES;
export const WEB_ASSET_NAMES = Object.keys(WEB_ENTRIES) as WebAssetName[];

/** Where `make build` puts the bundles, relative to the compiled web room. */
export const PREBUILT_DIR = "bundle";

/**
 * Bundles every entry in memory. esbuild is imported only here and only when called, so a gateway
 * running from `dist/` (which ships the prebuilt files) never loads it.
 */
export async function bundleWebAssets(opts: { minify?: boolean } = {}): Promise<Map<WebAssetName, Uint8Array>> {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const entryPoints = WEB_ASSET_NAMES.map((name) => ({ in: join(here, WEB_ENTRIES[name]), out: name.replace(/\.(js|css)$/, "") }));
  // Under dist/ the sources are not there: the bundles should have been written by `make build`.
  const missing = entryPoints.find((e) => !existsSync(e.in));
  if (missing) throw new Error(`the page assets were not built (no ${PREBUILT_DIR}/ beside ${here}, no ${missing.in}): run \`make build\``);
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints,
    bundle: true,
    write: false,
    outdir: "/bundle",
    // A classic deferred script: no module loader, nothing leaks into the page's globals.
    format: "iife",
    platform: "browser",
    target: ["es2022", "chrome110", "firefox110", "safari16"],
    minify: opts.minify ?? true,
    legalComments: "eof",
    logLevel: "silent",
  });
  const out = new Map<WebAssetName, Uint8Array>();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    if ((WEB_ASSET_NAMES as string[]).includes(name)) out.set(name as WebAssetName, file.contents);
  }
  for (const name of WEB_ASSET_NAMES) if (!out.has(name)) throw new Error(`esbuild produced no ${name}`);
  return out;
}

/** `make build`: writes the bundles into `dir` (the compiled web room's `bundle/`). */
export async function writeWebAssets(dir: string): Promise<{ name: string; bytes: number }[]> {
  const assets = await bundleWebAssets({ minify: true });
  await mkdir(dir, { recursive: true });
  const written: { name: string; bytes: number }[] = [];
  for (const [name, body] of assets) {
    await writeFile(join(dir, name), body);
    written.push({ name, bytes: body.byteLength });
  }
  return written;
}
