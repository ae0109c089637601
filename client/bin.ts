#!/usr/bin/env node
/**
 * The thin entry: real process I/O in, exit code out. Everything else lives in `createProgram`,
 * which tests run in-process.
 */
import { existsSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { ExitCode } from "./exit.js";
import { createProgram, runProgram } from "./program.js";

// A local `.env` is a convenience, never a requirement; real environment variables win.
if (existsSync(".env")) process.loadEnvFile(".env");

const controller = new AbortController();
process.once("SIGINT", () => {
  // First Ctrl-C: abort, which closes the stream so the gateway cancels the upstream.
  controller.abort(new Error("interrupted"));
  // A second one means "now": do not wait for a clean shutdown.
  process.once("SIGINT", () => process.exit(ExitCode.interrupted));
});

// `staged-client --json | head -3`: a reader that goes away is normal, not a crash with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok);
    process.exit(ExitCode.failure);
  });
}

/** A yes/no question on the terminal; only offered when there is a person to answer it. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

const program = createProgram({
  env: process.env,
  stdout: { write: (s) => void process.stdout.write(s), isTTY: process.stdout.isTTY },
  stderr: { write: (s) => void process.stderr.write(s), isTTY: process.stderr.isTTY },
  fetch: globalThis.fetch,
  signal: controller.signal,
  ...(process.stdin.isTTY && process.stderr.isTTY && { confirm }),
});

process.exitCode = await runProgram(program, process.argv, "node");
