import { spawn, type ChildProcess } from "node:child_process";
import { READY_MS } from "./bounds.js";
import { listensOn, onFreePort, PortTakenError } from "./net.js";
import { childEnv, DIST, scratchDir } from "./process.js";

export interface ReplicaProcess {
  url: string;
  port: number;
  /** The replica id it reports (`x-gateway-instance`, stats `instance`). */
  id: string;
  child: ChildProcess;
  /** Everything it logged so far (JSON lines). */
  output(): string;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

interface Health {
  status: string;
  redis?: string;
  instance?: string;
}

/** `GET /v1/monitoring/health`; `key` when the gateway has keys (operator routes need one). */
export async function health(url: string, key?: string): Promise<Health> {
  const res = await fetch(`${url}/v1/monitoring/health`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`health: HTTP ${res.status}`);
  return (await res.json()) as Health;
}

/**
 * The compiled gateway (`node dist/src/main.js`) on a fixed loopback port, from a scratch working
 * directory (no `.env` of the checkout's), with only the environment given (plus PATH and HOME).
 * Resolves once `/healthz` answers and, when REDIS_URL is set, the replica reports Redis up —
 * polled, never a fixed sleep.
 */
export function startReplica(env: Record<string, string>, opts: { waitForRedis?: boolean; key?: string } = {}): Promise<ReplicaProcess> {
  return onFreePort((port) => startReplicaOn(port, env, opts));
}

async function startReplicaOn(port: number, env: Record<string, string>, opts: { waitForRedis?: boolean; key?: string }): Promise<ReplicaProcess> {
  const scratch = scratchDir("replica-");
  const child = spawn(process.execPath, [DIST.gateway], {
    cwd: scratch.dir,
    // Its own process group, so SIGKILL reaches WORKERS' children too and none is left behind.
    detached: true,
    env: childEnv({ HOST: "127.0.0.1", PORT: String(port), REQUEST_LOG: "false", LOG_LEVEL: "info", UPSTREAM_RETRY_BACKOFF: "0.01", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (out += s));
  const exited = new Promise<number | null>((r) =>
    child.once("exit", (code) => {
      scratch.remove();
      r(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> => {
    // SIGTERM goes to the gateway itself (a WORKERS primary forwards it); SIGKILL to the group.
    if (alive() && child.pid !== undefined) process.kill(signal === "SIGKILL" ? -child.pid : child.pid, signal);
    return exited;
  };
  const deadline = Date.now() + READY_MS;
  let h: Health | undefined;
  try {
    for (;;) {
      if (child.exitCode !== null) {
        if (out.includes("EADDRINUSE")) throw new PortTakenError(`port ${port} was taken before the replica could listen on it`);
        throw new Error(`replica exited at start (code ${child.exitCode}):\n${out}`);
      }
      try {
        h = await health(url, opts.key);
        // What answers may be another process that took the port first: ready only once it is ours.
        const ours = child.pid !== undefined && listensOn(child.pid, port);
        if (ours && (!(opts.waitForRedis ?? env.REDIS_URL !== undefined) || h.redis === "up")) break;
      } catch (e) {
        if (e instanceof Error && e.message.startsWith("health: HTTP")) throw new Error(`replica answered ${e.message}; pass its key:\n${out}`);
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`replica not ready in ${READY_MS / 1000} s:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    // Never leave a half-started replica (or its workers) running.
    await kill("SIGKILL");
    throw e;
  }
  return {
    url,
    port,
    id: h.instance ?? "",
    child,
    output: () => out,
    exited,
    kill,
  };
}
