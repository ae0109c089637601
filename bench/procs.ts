import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { once } from "node:events";
import { createServer } from "node:net";

/**
 * A loopback port that was free a moment ago, for a child process that needs a fixed port. Another
 * process may take it before the child binds it (the OS hands a released port out again): spawn
 * through `onFreePort`, which checks the child itself listens there and tries another port if not.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The child could not have the port it was given: another process holds it. */
export class PortTakenError extends Error {}

/**
 * Whether process `pid` itself holds a listening TCP socket on loopback `port`, from /proc: the
 * socket's inode in /proc/net/tcp{,6}, among the process's descriptors. A server that answers on
 * the port is not enough: it may be another process that took the port first.
 */
export function listensOn(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === "0A" && f[9]) inodes.add(`socket:[${f[9]}]`);
    }
  }
  if (inodes.size === 0) return false;
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false; // closed meanwhile
      }
    });
  } catch {
    return false; // gone
  }
}

/**
 * Spawn a server on a free port, and on another one should that port be taken between picking it
 * and the child binding it (a suite starts hundreds of servers on ports the OS picks).
 */
export async function onFreePort<T>(spawnAt: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await spawnAt(await freePort());
    } catch (e) {
      if (!(e instanceof PortTakenError) || i >= attempts) throw e;
    }
  }
}

/** One spawned server of the bench. */
export interface Proc {
  pid: number;
  url: string;
  /** The head and the tail of its stdout and stderr. */
  log(): string;
  stop(): Promise<void>;
}

// /proc/<pid>/stat counts CPU in clock ticks; 100 Hz on every Linux the bench targets.
const TICKS_PER_SECOND = 100;

/** utime + stime of a process in ms (10 ms resolution), from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces and parentheses: fields are counted after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** The pids of `pid`'s children, from /proc/<pid>/task/<tid>/children (empty once it is gone). */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ").filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/**
 * utime + stime of `pid` and every living descendant, in ms: a gateway that forks workers
 * (WORKERS=N through node:cluster) does its work in the children, not in the primary.
 */
export function treeCpuMs(pid: number): number {
  let total = 0;
  try {
    total = cpuMs(pid);
  } catch {
    return 0; // gone
  }
  for (const child of childPids(pid)) total += treeCpuMs(child);
  return total;
}

/** Resident set size in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m?.[1] ? Number(m[1]) * 1024 : NaN;
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const port = Number(new URL(url).port);
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const output = log();
      if (/EADDRINUSE/.test(output)) throw new PortTakenError(`port ${port} was taken before the process could listen on it:\n${output}`);
      throw new Error(`process exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
    }
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      // Only once the child itself listens: what answers may be another process on the port.
      if (res.ok && child.pid !== undefined && listensOn(child.pid, port)) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const owned = child.pid !== undefined && listensOn(child.pid, port);
  if (!owned) {
    child.kill("SIGKILL");
    throw new PortTakenError(`${url} did not come up in this process (is another one holding port ${port}?):\n${log()}`);
  }
  throw new Error(`${url} did not come up:\n${log()}`);
}

function start(args: string[], env: Record<string, string>): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  // The head keeps the inspector's "Debugger listening" line however chatty the process gets.
  let head = "";
  let out = "";
  const keep = (b: Buffer): void => {
    if (head.length < 2000) head += b.toString();
    else out = (out + b.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, log: () => (out === "" ? head : `${head}\n…\n${out}`) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

/** The bench mock in its own process, listening on `port`. */
export async function spawnMock(port: number, options: unknown): Promise<Proc> {
  const { child, log } = start(["--import", "tsx", "bench/mock-main.ts"], { BENCH_MOCK_OPTIONS: JSON.stringify(options), BENCH_MOCK_PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/__bench/clock`, child, log);
  return { pid: child.pid ?? -1, url, log, stop: () => stopChild(child) };
}

/**
 * `dist`: the compiled build, as `make run-gateway` runs it. `tsx`: the sources through tsx, whose
 * transform wraps every named inner function in a `__name()` call; that costs CPU and ~250 bytes per
 * closure, so it measures the dev setup rather than the gateway.
 */
export type GatewayBuild = "dist" | "tsx";

/**
 * The real gateway (`src/main.ts`) in its own process. Quiet logs and no request log, so what is
 * measured is the request path, not pino or PGlite; `nodeArgs` adds e.g. `--cpu-prof`; `distDir` runs
 * another compiled copy (an A/B of two builds in one run).
 */
export async function spawnGateway(
  port: number,
  upstream: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  build: GatewayBuild = "dist",
  distDir = "dist",
): Promise<Proc> {
  const entry = build === "dist" ? [`${distDir}/src/main.js`] : ["--import", "tsx", "src/main.ts"];
  const { child, log } = start([...nodeArgs, ...entry], {
    UPSTREAM_BASE_URL: upstream,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    REQUEST_LOG: "false",
    UPSTREAM_API_KEY: "",
    SUMMARY_MODEL_DEFAULT: "",
    ALLOW_MODELS: "",
    PROVIDERS_FILE: "",
    GATEWAY_API_KEYS: "",
    ADMIN_TOKEN: "",
    // Parked memory-test streams are silent for longer than the default 60 s would allow.
    REQUEST_TIMEOUT: "300",
    SHUTDOWN_GRACE_SECONDS: "1",
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, child, log);
  return { pid: child.pid ?? -1, url, log, stop: () => stopChild(child) };
}

/**
 * The floor relay (bench/floor-relay.ts) in its own process, from the same build as the gateway:
 * compiled for `dist` (so tsx's transform costs it nothing), through tsx for `tsx`.
 */
export async function spawnFloor(port: number, upstream: string, nodeArgs: string[] = [], build: GatewayBuild = "dist"): Promise<Proc> {
  const entry = build === "dist" ? ["dist/bench/floor-relay.js"] : ["--import", "tsx", "bench/floor-relay.ts"];
  const { child, log } = start([...nodeArgs, ...entry], { FLOOR_UPSTREAM: upstream, FLOOR_PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, child, log);
  return { pid: child.pid ?? -1, url, log, stop: () => stopChild(child) };
}

/** Where `make bench` installs Portkey's gateway (bench/portkey/package.json pins it, and says why). */
export const PORTKEY_ENTRY = "bench/portkey/node_modules/@portkey-ai/gateway/build/start-server.js";

/** Portkey's pinned versions as installed, for the report. */
export function portkeyVersions(): { gateway: string; nodeServer: string; hono: string } | null {
  const version = (pkg: string): string => (JSON.parse(readFileSync(`bench/portkey/node_modules/${pkg}/package.json`, "utf8")) as { version: string }).version;
  try {
    return { gateway: version("@portkey-ai/gateway"), nodeServer: version("@hono/node-server"), hono: version("hono") };
  } catch {
    return null;
  }
}

/**
 * Portkey's open-source gateway (its own `node build/start-server.js --headless`) in its own
 * process. Which upstream it calls is per request: `x-portkey-provider: openai` plus
 * `x-portkey-custom-host` (127.0.0.1 is on its default trusted-host list).
 */
export async function spawnPortkey(port: number, nodeArgs: string[] = []): Promise<Proc> {
  if (!existsSync(PORTKEY_ENTRY)) {
    throw new Error(`Portkey's gateway is not installed at ${PORTKEY_ENTRY}: run \`make bench-deps\` (npm ci --prefix bench/portkey)`);
  }
  const { child, log } = start([...nodeArgs, PORTKEY_ENTRY, `--port=${port}`, "--headless"], { NODE_ENV: "production" });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/`, child, log);
  return { pid: child.pid ?? -1, url, log, stop: () => stopChild(child) };
}

/**
 * Whether this gateway has a WORKERS setting (node:cluster workers): the config schema is the one
 * place every setting is declared, so a `WORKERS` key there is the tell.
 */
export function gatewayHasWorkers(schemaFile = "src/config/schema.ts"): boolean {
  try {
    return /^\s*WORKERS\s*:/m.test(readFileSync(schemaFile, "utf8"));
  } catch {
    return false;
  }
}

/**
 * Wait (bounded) until `pid` has forked `n` children: a clustered gateway's workers are up.
 * `WORKERS=1` serves in the process itself and forks none, so there is nothing to wait for.
 */
export async function waitForChildren(pid: number, n: number, timeoutMs = 30_000): Promise<number> {
  if (n <= 1) return childPids(pid).length;
  const until = Date.now() + timeoutMs;
  while (childPids(pid).length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  return childPids(pid).length;
}

/** The CPU model as /proc/cpuinfo names it (the first core's), else what node:os reports. */
export function cpuModel(fallback: string): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? fallback;
  } catch {
    return fallback;
  }
}
