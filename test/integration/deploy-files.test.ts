/**
 * What can be checked of deploy/ on a machine without Docker: the compose file and the
 * Prometheus config parse and hang together, nginx accepts the compose nginx.conf (`nginx -t`),
 * and the Dockerfile is multi-stage, unprivileged, health-checked and copies files that exist.
 * dockerfile.test.ts goes further: it replays the Dockerfile and runs what it builds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { envSchema, loadConfig } from "../../src/config/index.js";
import { parseDockerfile, parseEnv } from "../helpers/dockerfile.js";
import { NGINX, requireNginx, SSE_PROXY_CONF } from "../helpers/nginx.js";

const DEPLOY = resolve(import.meta.dirname, "../../deploy");
const ROOT = resolve(DEPLOY, "..");
const HAS_NGINX = requireNginx();

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  deploy?: { replicas?: number };
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
}

const compose = parse(readFileSync(join(DEPLOY, "compose.yaml"), "utf8")) as { services: Record<string, Service>; secrets: Record<string, { file: string }> };

describe("deploy/compose.yaml", () => {
  it("runs several gateway replicas sharing Redis and PostgreSQL behind nginx, scraped by Prometheus", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["gateway", "nginx", "postgres", "prometheus", "redis"]);
    const gw = compose.services.gateway!;
    expect(gw.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(gw.environment?.REDIS_URL).toMatch(/^redis:\/\/redis:6379/);
    expect(gw.environment?.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
    expect(gw.build).toEqual({ context: "..", dockerfile: "deploy/Dockerfile" });
    expect(existsSync(resolve(DEPLOY, gw.build!.context, gw.build!.dockerfile))).toBe(true);
    // Behind a load balancer a dropped stream reconnects to any replica: resumable streams are on.
    expect(gw.environment?.RESUME_GRACE_SECONDS).toMatch(/^\$\{RESUME_GRACE_SECONDS:-[1-9]\d*\}$/);
  });

  it("gives the gateway only variables it reads, and values it accepts (over the image's ENV)", () => {
    // What an operator exports before `docker compose up` (the compose file says which).
    const exported: Record<string, string> = { UPSTREAM_BASE_URL: "https://api.example.com/v1", GATEWAY_API_KEYS: "k-one", ADMIN_TOKEN: "a".repeat(24) };
    const env = Object.fromEntries(
      Object.entries(compose.services.gateway!.environment ?? {}).map(([k, v]) => [
        k,
        String(v).replace(
          /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
          (_, name: string, op?: string, word?: string) => exported[name] ?? (op === "-" ? (word ?? "") : ""),
        ),
      ]),
    );
    const known = Object.keys(envSchema.shape);
    for (const key of Object.keys(env)) expect(known, key).toContain(key);
    const run = parseDockerfile(readFileSync(join(DEPLOY, "Dockerfile"), "utf8")).at(-1)!;
    const image = Object.fromEntries(run.instructions.filter((i) => i.keyword === "ENV").flatMap((i) => parseEnv(i.args)));
    expect(Object.keys(image).sort()).toEqual(["DATA_DIR", "HOST", "NODE_ENV", "PORT"]);
    const config = loadConfig({ ...image, ...env });
    // The port nginx and Prometheus reach is the one the gateway listens on.
    expect(config.port).toBe(8000);
    expect(readFileSync(join(DEPLOY, "nginx/nginx.conf"), "utf8")).toContain("server gateway:8000");
  });

  it("keeps the admin token file it reads out of git", () => {
    expect(readFileSync(join(ROOT, ".gitignore"), "utf8").split("\n")).toContain("deploy/secrets/");
  });

  it("mounts files that exist, and nginx gets the very proxy file the replica tests include", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const [src] = v.split(":");
        if (src!.startsWith(".")) expect(existsSync(resolve(DEPLOY, src!)), `${name}: ${src}`).toBe(true);
      }
    }
    expect(compose.services.nginx!.volumes).toContain("./nginx/sse-proxy.conf:/etc/nginx/sse-proxy.conf:ro");
    expect(resolve(DEPLOY, "nginx/sse-proxy.conf")).toBe(SSE_PROXY_CONF);
    expect(readFileSync(join(DEPLOY, "nginx/nginx.conf"), "utf8")).toContain("include /etc/nginx/sse-proxy.conf;");
  });

  it("Prometheus scrapes each replica on its own and keeps the replicas' instance label", () => {
    const prom = parse(readFileSync(join(DEPLOY, "prometheus/prometheus.yml"), "utf8")) as { scrape_configs: Record<string, unknown>[] };
    expect(prom.scrape_configs[0]).toMatchObject({
      metrics_path: "/metrics",
      honor_labels: true,
      dns_sd_configs: [{ names: ["gateway"], type: "A", port: 8000 }],
      authorization: { type: "Bearer", credentials_file: "/run/secrets/admin_token" },
    });
    expect(compose.secrets.admin_token!.file).toBe("./secrets/admin_token");
  });
});

describe.skipIf(!HAS_NGINX)("deploy/nginx/nginx.conf", () => {
  it("passes `nginx -t` (with the compose host name and paths pointed at this machine)", () => {
    const dir = mkdtempSync(join(tmpdir(), "sgw-nginx-t-"));
    try {
      const conf = readFileSync(join(DEPLOY, "nginx/nginx.conf"), "utf8")
        .replace("server gateway:8000", "server 127.0.0.1:8000")
        .replace("include /etc/nginx/sse-proxy.conf;", `include ${SSE_PROXY_CONF};`)
        .replace("listen 80;", "listen 127.0.0.1:80;")
        .replaceAll("/var/log/nginx/", `${dir}/`)
        // The image's temp directories may not be writable here (not root): use the scratch directory.
        .replace("http {", `http {\n${["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t};`).join("\n")}`);
      writeFileSync(join(dir, "nginx.conf"), conf);
      const r = spawnSync(NGINX, ["-t", "-p", dir, "-c", join(dir, "nginx.conf"), "-g", `pid ${join(dir, "nginx.pid")};`], { encoding: "utf8" });
      expect(r.stderr, r.stderr).toContain("test is successful");
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("deploy/Dockerfile", () => {
  const text = readFileSync(join(DEPLOY, "Dockerfile"), "utf8");
  it("installs production dependencies and builds in stages of their own, and runs as an unprivileged user with a health check", () => {
    expect(text.match(/^FROM .* AS (\S+)$/gm)?.map((l) => l.split(" ").at(-1))).toEqual(["deps", "build", "run"]);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK .*\n\s+CMD .*\/healthz/m);
    expect(text).toMatch(/^CMD \["node", "dist\/src\/main.js"\]$/m);
  });

  it("copies only files that exist and that its ignore file lets through", () => {
    const ignore = readFileSync(join(DEPLOY, "Dockerfile.dockerignore"), "utf8");
    const sources = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(" "));
    expect(sources.length).toBeGreaterThan(3);
    for (const s of sources) {
      expect(existsSync(join(ROOT, s)), s).toBe(true);
      expect(ignore).toMatch(new RegExp(`^!${s.replace(/[.*]/g, "\\$&")}(/\\*\\*)?$`, "m"));
    }
  });
});
