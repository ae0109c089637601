import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { PREBUILT_DIR, WEB_ASSET_NAMES, type WebAssetName } from "./build.js";

/** One page asset, ready to serve: the bytes, a gzipped copy and a strong ETag. */
export interface WebAsset {
  type: string;
  body: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
  etag: string;
}

export type WebAssets = ReadonlyMap<WebAssetName, WebAsset>;

const TYPES: Record<string, string> = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8" };

function prepare(name: WebAssetName, raw: Uint8Array): WebAsset {
  const body = new Uint8Array(raw); // an own copy on a plain ArrayBuffer, as Response bodies want
  const ext = name.slice(name.lastIndexOf(".") + 1);
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  return { type: TYPES[ext] ?? "application/octet-stream", body, gzip: new Uint8Array(gzipSync(body)), etag };
}

/** The bundles `make build` wrote next to this module, or undefined when any is missing. */
async function readPrebuilt(): Promise<Map<WebAssetName, Uint8Array> | undefined> {
  const dir = new URL(`./${PREBUILT_DIR}/`, import.meta.url);
  try {
    const files = await Promise.all(WEB_ASSET_NAMES.map(async (name) => [name, await readFile(new URL(name, dir))] as const));
    return new Map(files);
  } catch {
    return undefined;
  }
}

/**
 * The page assets: the prebuilt bundles from `dist/` when they exist, otherwise built in memory
 * with esbuild (running from source). Loaded once per process on first use and shared by every
 * gateway in it, so a test file that starts many gateways bundles once.
 */
let loading: Promise<WebAssets> | undefined;
export function loadWebAssets(): Promise<WebAssets> {
  loading ??= (async () => {
    const raw = (await readPrebuilt()) ?? (await (await import("./build.js")).bundleWebAssets({ minify: true }));
    return new Map(WEB_ASSET_NAMES.map((name) => [name, prepare(name, raw.get(name) ?? new Uint8Array())]));
  })().catch((err: unknown) => {
    // Let the next request try again (e.g. after a syntax error in a page script was fixed).
    loading = undefined;
    throw err;
  });
  return loading;
}

export function isWebAssetName(name: string): name is WebAssetName {
  return (WEB_ASSET_NAMES as string[]).includes(name);
}
