/**
 * Once per run, before any integration test: `make build`, so every process test spawns the
 * compiled `dist/` with plain `node` instead of compiling the sources through tsx at each start
 * (`make build` rebuilds only what changed: with nothing changed it costs a moment). Also puts back a
 * checkout `.env` that an interrupted run left swapped (see dotenv.ts).
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { restoreCheckoutDotenv } from "./dotenv.js";

const ROOT = resolve(import.meta.dirname, "../..");

export default async function setup(): Promise<void> {
  restoreCheckoutDotenv();
  try {
    await promisify(execFile)("make", ["-s", "--no-print-directory", "build"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const { stdout = "", stderr = "" } = e as { stdout?: string; stderr?: string };
    throw new Error(`make build failed, so no process test can run; its output:\n${stdout}${stderr}`);
  }
}
