/**
 * Start-up, side by side: how long after `spawn` each server answers its first request, and for
 * ours how long until the embedded request log answers too, with the CPU the process spent to get
 * there. Each repetition starts every case once, in turn (the same alternation as the side-by-side
 * table), polling every 10 ms: a start is timed to within one poll.
 *
 * Cases: the floor relay and Portkey's gateway (their first answer), and ours three ways — without
 * a request log, with the embedded log in an empty `DATA_DIR` (a first start: the template is
 * unpacked) and in that same directory again (every later start).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { cpuMs, freePort, PORTKEY_ENTRY } from "./procs.js";
import { summarize, type Summary } from "./stats.js";

export const STARTUP_CASES = ["floor", "portkey", "ours-no-log", "ours-new-data-dir", "ours-existing-data-dir"] as const;
export type StartupCase = (typeof STARTUP_CASES)[number];

export interface StartupCaseResult {
  /** Spawn → the first 200 (`/healthz`; Portkey: `/`), ms. */
  firstAnswerMs: Summary | null;
  /** Ours with a request log: spawn → `GET /v1/requests` answers 200 (the log is open), ms. */
  logOpenMs: Summary | null;
  /** CPU the process had used when it was ready (the log open, where there is one), ms. */
  cpuMs: Summary | null;
}

export type StartupResult = Partial<Record<StartupCase, StartupCaseResult>>;

const POLL_MS = 10;
const GIVE_UP_MS = 120_000;

/** The gateway's environment: nothing of the caller's that would change what starts. */
const OURS_ENV = {
  HOST: "127.0.0.1",
  LOG_LEVEL: "warn",
  UPSTREAM_BASE_URL: "http://127.0.0.1:9/v1",
  DATABASE_URL: "",
  REDIS_URL: "",
  PROVIDERS_FILE: "",
  GATEWAY_API_KEYS: "",
  GATEWAY_KEYS_FILE: "",
  ADMIN_TOKEN: "",
  OTEL_EXPORTER_OTLP_ENDPOINT: "",
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "",
  SHUTDOWN_GRACE_SECONDS: "1",
};

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Polls `url` until it answers 200; ms since `t0`. */
async function until(url: string, child: ChildProcess, t0: number): Promise<number> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}) before it answered`);
    if (await answers(url)) return performance.now() - t0;
    if (performance.now() - t0 > GIVE_UP_MS) throw new Error(`${url} did not answer within ${GIVE_UP_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

interface Sample {
  firstAnswerMs: number;
  logOpenMs?: number;
  cpuMs: number;
}

/**
 * One start of one case, from `dirname(dataDir)`: a scratch directory, so a `.env` in the checkout
 * (which the gateway reads from its working directory) never changes what is measured.
 */
async function startOnce(which: StartupCase, dataDir: string, distDir: string): Promise<Sample> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let args: string[];
  let env: Record<string, string>;
  let health = `${url}/healthz`;
  if (which === "floor") {
    args = [resolve(distDir, "bench/floor-relay.js")];
    env = { FLOOR_UPSTREAM: OURS_ENV.UPSTREAM_BASE_URL, FLOOR_PORT: String(port) };
  } else if (which === "portkey") {
    args = [resolve(PORTKEY_ENTRY), `--port=${port}`, "--headless"];
    env = { NODE_ENV: "production" };
    health = `${url}/`;
  } else {
    args = [resolve(distDir, "src/main.js")];
    const log: Record<string, string> = which === "ours-no-log" ? { REQUEST_LOG: "false" } : { REQUEST_LOG: "true", DATA_DIR: dataDir };
    env = { ...OURS_ENV, PORT: String(port), ...log };
  }
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: dirname(dataDir),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: "ignore",
  });
  try {
    const firstAnswerMs = await until(health, child, t0);
    const logOpenMs = which.startsWith("ours-") && which !== "ours-no-log" ? await until(`${url}/v1/requests`, child, t0) : undefined;
    return { firstAnswerMs, ...(logOpenMs !== undefined && { logOpenMs }), cpuMs: cpuMs(child.pid ?? -1) };
  } finally {
    await stop(child);
  }
}

export interface StartupOptions {
  reps: number;
  cases?: readonly StartupCase[];
  /** The compiled tree to start (`dist`). */
  distDir?: string;
  log?: (msg: string) => void;
}

/** Every case once per repetition, in turn; a case whose program is not installed (Portkey) is left out. */
export async function runStartup(opts: StartupOptions): Promise<StartupResult> {
  const distDir = opts.distDir ?? "dist";
  const cases = (opts.cases ?? STARTUP_CASES).filter((c) => c !== "portkey" || existsSync(PORTKEY_ENTRY));
  const samples = new Map<StartupCase, Sample[]>(cases.map((c) => [c, []]));
  for (let rep = 0; rep < opts.reps; rep++) {
    // A new directory per repetition: the new-data-dir case makes it, the existing one reopens it.
    const parent = mkdtempSync(join(tmpdir(), "sgw-bench-startup-"));
    const dataDir = join(parent, "data");
    try {
      for (const which of cases) {
        if (which === "ours-existing-data-dir" && !existsSync(dataDir)) await startOnce("ours-new-data-dir", dataDir, distDir);
        samples.get(which)!.push(await startOnce(which, dataDir, distDir));
      }
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
    opts.log?.(`startup: repetition ${rep + 1} of ${opts.reps}`);
  }
  const result: StartupResult = {};
  for (const [which, s] of samples) {
    const opened = s.flatMap((x) => (x.logOpenMs === undefined ? [] : [x.logOpenMs]));
    result[which] = {
      firstAnswerMs: summarize(s.map((x) => x.firstAnswerMs)),
      logOpenMs: opened.length > 0 ? summarize(opened) : null,
      cpuMs: summarize(s.map((x) => x.cpuMs)),
    };
  }
  return result;
}

const LABELS: Record<StartupCase, string> = {
  floor: "floor (node:http + undici)",
  portkey: "Portkey's gateway",
  "ours-no-log": "ours, `REQUEST_LOG=false`",
  "ours-new-data-dir": "ours, embedded log, empty `DATA_DIR` (first start)",
  "ours-existing-data-dir": "ours, embedded log, existing `DATA_DIR`",
};

const cell = (s: Summary | null): string => (s ? `${Math.round(s.p50)} (${Math.round(s.min)}–${Math.round(s.max)})` : "—");

/** BENCHMARKS.md's start-up table: medians with the range over the repetitions. */
export function startupMarkdown(r: StartupResult, reps: number): string {
  const rows = STARTUP_CASES.filter((c) => r[c]).map(
    (c) => `| ${LABELS[c]} | ${cell(r[c]!.firstAnswerMs)} | ${cell(r[c]!.logOpenMs)} | ${cell(r[c]!.cpuMs)} |`,
  );
  return [
    `Spawn to first answer and, for ours with the embedded request log, to the log's first answer (\`GET /v1/requests\`), with the process's CPU by then; ms, median (min–max) over ${reps} repetitions, every case started once per repetition in turn, polled every ${POLL_MS} ms. The gateway answers from the first moment while its log opens in a thread of its own (docs/operations.md).`,
    "",
    "| | first answer | request log open | CPU by then |",
    "|---|---:|---:|---:|",
    ...rows,
  ].join("\n");
}
