import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { startWorker } from "../../../src/util/index.js";

const FIXTURES = resolve(import.meta.dirname, "../../fixtures/worker-thread");
const CACHE = resolve(import.meta.dirname, "../../../node_modules/.cache/staged-gateway-workers");

/** The fixture's bundles (entry-<hash of the bundle>.mjs), whole ones only. */
const bundles = (): string[] => readdirSync(CACHE).filter((f) => /^entry-[0-9a-f]{16}\.mjs$/.test(f));

function firstMessage(worker: Worker): Promise<unknown> {
  return new Promise((res, rej) => {
    worker.once("message", res);
    worker.once("error", rej);
  });
}

describe("startWorker from a TypeScript script (a checkout)", () => {
  it("runs the script bundled, with its source's URL, so files beside it and packages are found", async () => {
    const entry = pathToFileURL(join(FIXTURES, "good/entry.ts"));
    const worker = startWorker(entry, {});
    const seen = (await firstMessage(worker)) as { url: string; sibling: string; resolved: string; running: string };
    await worker.terminate();
    expect(seen.url).toBe(entry.href);
    expect(seen.sibling).toBe(join(FIXTURES, "good/sibling.ts"));
    expect(seen.resolved).toBe(createRequire(import.meta.url).resolve("zod"));
    // It ran from the bundle in node_modules/.cache, not through tsx.
    expect(seen.running).toMatch(/node_modules\/\.cache\/staged-gateway-workers\/entry-[0-9a-f]{16}\.mjs/);
  });

  it("starts every later thread from the same bundle: none writes a file of its own", async () => {
    const entry = pathToFileURL(join(FIXTURES, "good/entry.ts"));
    await startWorker(entry, {}).terminate();
    const before = bundles();
    const workers = [startWorker(entry, {}), startWorker(entry, {})];
    await Promise.all(workers.map(firstMessage));
    await Promise.all(workers.map((w) => w.terminate()));
    expect(bundles()).toEqual(before);
  });

  it("refuses a script that imports, from another folder, a module building a path from its URL", () => {
    expect(() => startWorker(pathToFileURL(join(FIXTURES, "bad/entry.ts")), {})).toThrow(/elsewhere\/path\.ts builds a path from import\.meta\.url/);
  });

  it("starts a JavaScript script as it is", async () => {
    const worker = startWorker(new URL("data:text/javascript,import { parentPort } from 'node:worker_threads'; parentPort.postMessage(42);"), {});
    expect(await firstMessage(worker)).toBe(42);
    await worker.terminate();
  });
});
