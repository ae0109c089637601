import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "./net.js";

/** The SSE-safe proxy directives deploy/ ships; the tests include the very same file. */
export const SSE_PROXY_CONF = resolve(import.meta.dirname, "../../deploy/nginx/sse-proxy.conf");

export const NGINX = process.env.NGINX_BIN ?? "/usr/sbin/nginx";

/** Is Debian's nginx there? In CI (CI=true) its absence fails loudly instead of skipping. */
export function requireNginx(): boolean {
  const ok = spawnSync(NGINX, ["-v"], { stdio: "ignore" }).status === 0;
  if (!ok && process.env.CI === "true") throw new Error(`nginx not found at ${NGINX}; .ci/run installs it, these tests must not skip in CI`);
  return ok;
}

export interface RunningNginx {
  url: string;
  port: number;
  /** The generated nginx.conf, for a failure message. */
  config: string;
  errors(): string;
  close(): Promise<void>;
}

/** nginx.conf for a round-robin balancer over loopback replicas, everything under `dir`. */
export function nginxConfig(dir: string, port: number, upstreamPorts: number[]): string {
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${join(dir, `${t}-temp`)};`).join("\n");
  return `worker_processes 1;
events { worker_connections 1024; }
http {
  access_log off;
${temp}
  upstream gateway {
${upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join("\n")}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://gateway;
      include ${SSE_PROXY_CONF};
    }
  }
}
`;
}

/**
 * Debian's nginx as a child process in front of `upstreamPorts`: a generated config in a scratch
 * directory, `daemon off`, its own pid and error log there. Resolves once it accepts connections.
 */
export async function startNginx(upstreamPorts: number[]): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), "sgw-nginx-"));
  mkdirSync(join(dir, "logs"));
  const port = await freePort();
  const config = nginxConfig(dir, port, upstreamPorts);
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, config);
  const errorLog = join(dir, "error.log");
  const child: ChildProcess = spawn(NGINX, ["-p", dir, "-c", conf, "-g", `daemon off; pid ${join(dir, "nginx.pid")}; error_log ${errorLog} warn;`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const errors = () => {
    let log = "";
    try {
      log = readFileSync(errorLog, "utf8");
    } catch {
      // not written yet
    }
    return stderr + log;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start:\n${errors()}\n${config}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`nginx did not start:\n${errors()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    config,
    errors,
    async close() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
