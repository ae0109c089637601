/** Run the client in-process with captured output and a controllable clock. */
import { createProgram, runProgram, type ClientIO } from "../../../client/index.js";

export interface Captured {
  io: ClientIO;
  out: () => string;
  err: () => string;
}

/** A fake clock: `sleep` advances it instantly, so minutes of polling take no time. */
export function fakeClock(start = 1_000_000): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

/** A ClientIO writing into strings; `env` replaces the process environment entirely. */
export function capture(overrides: Partial<ClientIO> & { ttyErr?: boolean; ttyOut?: boolean } = {}): Captured {
  let out = "";
  let err = "";
  const { ttyErr, ttyOut, ...rest } = overrides;
  const io: ClientIO = {
    env: {},
    stdout: { write: (s) => void (out += s), isTTY: ttyOut ?? false },
    stderr: { write: (s) => void (err += s), isTTY: ttyErr ?? false },
    fetch: globalThis.fetch,
    ...rest,
  };
  return { io, out: () => out, err: () => err };
}

/** Parse argv and run; returns the exit code and everything printed. */
export async function run(
  argv: string[],
  overrides: Partial<ClientIO> & { ttyErr?: boolean; ttyOut?: boolean } = {},
): Promise<{ code: number; out: string; err: string }> {
  const c = capture(overrides);
  const code = await runProgram(createProgram(c.io), argv);
  return { code, out: c.out(), err: c.err() };
}

/** The JSON lines of a `--json` run. */
export function jsonLines(out: string): { event: string; data: Record<string, unknown> }[] {
  return out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { event: string; data: Record<string, unknown> });
}
