// Shared by the two commands. An installed package runs the compiled JavaScript in dist/ (the
// TypeScript sources are not shipped); a checkout runs its TypeScript through tsx (a dev
// dependency), so `npx staged-client` works right after `npm ci`, with no build and no stale dist/.
import { existsSync } from "node:fs";
import { URL } from "node:url";

/**
 * Run `source` (relative to the package root) when it exists, else `compiled`.
 * @param {string} source
 * @param {string} compiled
 */
export async function launch(source, compiled) {
  const src = new URL(`../${source}`, import.meta.url);
  if (existsSync(src)) {
    const { register } = await import("tsx/esm/api");
    register();
    await import(src.href);
    return;
  }
  await import(new URL(`../${compiled}`, import.meta.url).href);
}
