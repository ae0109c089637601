/**
 * Spawned processes, awaited by polling for readiness — never by a fixed sleep, because even a
 * compiled start on a loaded two-core machine takes anything from a fraction of a second to many.
 *
 * The project's own programs run compiled: the suite's global set-up ran `make build` once, and
 * `DIST` names the entry points in `dist/`. Each runs from a scratch working directory of its own
 * with only the environment the test gives it (plus PATH and HOME), so a `.env` in the checkout —
 * which the gateway and the client read from their working directory — never changes a result.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { READY_MS } from "./bounds.js";

export const ROOT = resolve(import.meta.dirname, "../..");

/** The compiled programs `make build` writes (scripts/build-server.ts), run with plain `node`. */
export const DIST = {
  gateway: join(ROOT, "dist/src/main.js"),
  mockUpstream: join(ROOT, "dist/mock-upstream/main.js"),
  client: join(ROOT, "dist/client/bin.js"),
  floorRelay: join(ROOT, "dist/bench/floor-relay.js"),
} as const;

/** PATH and HOME from the runner, then `env`: everything else a child sees, the test chose. */
export function childEnv(env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

/**
 * Where data directories go: memory (/dev/shm, a tmpfs) when it has 2 GB free, else the usual
 * temporary directory. A new embedded request log writes about 1,000 files; on this disk's
 * filesystem that cost a spawned gateway 1.1 CPU-s more of kernel time than in memory (3.2 against
 * 2.1 CPU-s for its first seconds, measured on two cores), and a run opens dozens. Nothing is tested
 * differently: only where the scratch lives changes.
 */
export const SCRATCH_ROOT = ((): string => {
  try {
    const fs = statfsSync("/dev/shm");
    if (fs.bavail * fs.bsize >= 2 * 1024 ** 3) {
      rmSync(mkdtempSync("/dev/shm/sgw-probe-"), { recursive: true }); // writable, too
      return "/dev/shm";
    }
  } catch {
    // not Linux, or no room: the usual place
  }
  return tmpdir();
})();

/**
 * A fresh empty directory to run a process in (no `.env`, nothing of the checkout's), and a
 * function that removes it.
 */
export function scratchDir(prefix = "gw-cwd-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(SCRATCH_ROOT, prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Spawned {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  out: () => string;
  /** Everything written to stderr so far. */
  err: () => string;
  /** stdout and stderr interleaved as they arrived. */
  output: () => string;
  /** Resolves when the process has exited and its streams are closed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  hasExited: () => boolean;
  /** Poll until `pattern` shows up in the output; fails early, with the output, if the process exits first. */
  waitForOutput: (pattern: string | RegExp, timeoutMs?: number) => Promise<void>;
  /** SIGKILL if still running, and wait for it to be gone. */
  kill: () => Promise<void>;
}

/**
 * Start a process with piped output (stdin ignored unless `options.stdio` says otherwise). Pass
 * `detached: true` for a wrapper that starts the real process as its child (npx): `kill()` then
 * ends the whole process group.
 */
export function spawnProcess(command: string, args: string[], options: SpawnOptions = {}): Spawned {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let out = "";
  let err = "";
  let all = "";
  let done = false;
  child.stdout?.setEncoding("utf8").on("data", (s: string) => {
    out += s;
    all += s;
  });
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    err += s;
    all += s;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    // A command that cannot start at all (ENOENT) closes without ever running.
    child.on("error", (e) => {
      all += `\n[spawn error] ${e.message}\n`;
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  const spawned: Spawned = {
    child,
    out: () => out,
    err: () => err,
    output: () => all,
    exited,
    hasExited: () => done,
    async waitForOutput(pattern, timeoutMs = READY_MS) {
      const seen = (): boolean => (typeof pattern === "string" ? all.includes(pattern) : pattern.test(all));
      await pollUntil(
        `${String(pattern)} in the output of ${command} ${args.join(" ")}`,
        () => {
          if (seen()) return true;
          if (done) throw new Error(`the process exited before printing ${String(pattern)}; its output:\n${all}`);
          return false;
        },
        timeoutMs,
        () => all,
      );
    },
    async kill() {
      if (!done) {
        // A wrapper (npx, a shell) started `detached` leads its own process group: kill all of it,
        // or the real server lives on holding our pipes and `exited` never comes.
        if (options.detached && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      }
      await exited;
    },
  };
  return spawned;
}

/**
 * Poll `check` every `intervalMs` until it returns true; throw after `timeoutMs` naming `what`
 * (and `context()`, e.g. a process's output, so a failure explains itself).
 */
export async function pollUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = READY_MS,
  context: () => string = () => "",
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      const more = context();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more ? `; output so far:\n${more}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Poll `url` until it answers with a 2xx status (connection refused counts as "not yet"). */
export async function waitForHttp(url: string, timeoutMs = READY_MS, context?: () => string): Promise<void> {
  await pollUntil(
    `${url} to answer 2xx`,
    () =>
      fetch(url).then(
        (r) => r.ok,
        () => false,
      ),
    timeoutMs,
    context,
  );
}

export interface GatewayProcess extends Spawned {
  /** `http://127.0.0.1:PORT`, read from the gateway's own "listening" log line. */
  url: string;
}

/**
 * Spawn the compiled gateway (`dist/src/main.js`) with exactly `env` (plus PATH and HOME), from a
 * scratch working directory removed when it exits — unless `options.cwd` names one. Its default
 * `DATA_DIR` (`./data`) lands in that scratch directory too, never in the checkout.
 */
export function spawnGateway(env: Record<string, string | undefined>, options: SpawnOptions & { nodeArgs?: string[] } = {}): Spawned {
  const { nodeArgs = [], ...spawnOptions } = options;
  const scratch = spawnOptions.cwd === undefined ? scratchDir() : undefined;
  const p = spawnProcess(process.execPath, [...nodeArgs, DIST.gateway], { ...spawnOptions, cwd: spawnOptions.cwd ?? scratch?.dir, env: childEnv(env) });
  if (scratch) void p.exited.then(scratch.remove);
  return p;
}

/**
 * Start the compiled gateway as its own process on port 0 and wait until it says where it listens.
 * Port 0 and the log line, rather than a port picked beforehand: between picking a free port and
 * binding it, another test (or another engineer's) may take it, and the gateway found "ready"
 * would be someone else's.
 */
export async function startGatewayProcess(env: Record<string, string | undefined>, options: SpawnOptions = {}): Promise<GatewayProcess> {
  const p = spawnGateway({ HOST: "127.0.0.1", ...env, PORT: "0", LOG_LEVEL: "info" }, options);
  const listening = /gateway listening on (http:\/\/[^\s"]+)/;
  await p.waitForOutput(listening);
  const url = listening.exec(p.output())?.[1] ?? "";
  return Object.assign(p, { url });
}
