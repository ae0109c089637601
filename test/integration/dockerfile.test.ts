/**
 * deploy/Dockerfile, built and run without Docker: test/helpers/dockerfile.ts replays its stages in
 * temporary directories (COPY through deploy/Dockerfile.dockerignore, RUN in the stage's WORKDIR
 * with its ENV, stages side by side as BuildKit runs them), then the final stage's CMD starts as
 * its USER with its ENV, and must serve /healthz, the pages' bundles and a chat answer.
 *
 * Replayed as written: the production `npm ci --omit=dev`, the compile and bundle scripts, every COPY
 * (context and `--from`), `mkdir`/`chown` of the data directory, the CMD and the HEALTHCHECK.
 * Substituted, and logged: the base image (this machine's Node and npm), absolute paths (into the
 * stage's directory), the `node` user (uid 1000, only when the test runs as root), and the build
 * stage's full `npm ci` — hard links to this checkout's node_modules after checking it installs the
 * very same lockfile (DOCKERFILE_REPLAY_NPM_CI=1 runs it instead). The replay refuses to copy a
 * substituted path into a later stage, so the final image's dependencies are always a real install.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, resolve } from "node:path";
import { Script } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { dockerignore, hostPath, imageUid, listFiles, parseDockerfile, replayDockerfile, type ReplayedStage } from "../helpers/dockerfile.js";
import { spawnProcess, type Spawned } from "../helpers/process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DOCKERFILE = join(ROOT, "deploy/Dockerfile");
const IGNORE = join(ROOT, "deploy/Dockerfile.dockerignore");
const ASSETS = { "playground.js": "text/javascript", "admin.js": "text/javascript", "app.css": "text/css" } as const;
// A build (the compile, an npm install) and a start in one hook: like package-install.test.ts, more than a
// spawned process's usual bound, for a full suite on two shared cores.
const REPLAY_MS = 400_000;
const DEV_ONLY = ["esbuild", "tsx", "typescript", "vitest", "eslint", "playwright-core"];

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
}
const lockPackages = (file: string): Record<string, LockEntry> => (JSON.parse(readFileSync(file, "utf8")) as { packages: Record<string, LockEntry> }).packages;

/**
 * The build stage's full `npm ci` (dependencies only, nothing of ours): hard-link this checkout's
 * node_modules instead, once its hidden lockfile shows it holds exactly what the lockfile pins.
 */
async function linkCheckoutInstall(command: string, stage: ReplayedStage, dir: string): Promise<{ note: string; paths: string[] } | undefined> {
  if (!/^npm ci\b/.test(command) || /--omit[= ]dev|--production\b|--only[= ]prod/.test(command)) return undefined;
  if (process.env.DOCKERFILE_REPLAY_NPM_CI === "1") return undefined;
  const hidden = join(ROOT, "node_modules/.package-lock.json");
  if (!existsSync(hidden)) return undefined; // no install to compare: run the real `npm ci`
  const lock = lockPackages(join(dir, "package-lock.json"));
  const installed = lockPackages(hidden);
  const differs = Object.entries(lock).find(([k, v]) => k !== "" && (installed[k] ? installed[k].version !== v.version : !v.optional));
  const extra = Object.keys(installed).find((k) => !(k in lock));
  if (differs ?? extra) return undefined; // not the same install: run the real `npm ci`
  // Hard links, not a symlink: a later RUN that prunes or reinstalls removes links in the copy and
  // never files of the checkout. The one file npm rewrites in place, its hidden lockfile, is copied.
  const to = join(dir, "node_modules");
  if (spawnSync("cp", ["-al", join(ROOT, "node_modules"), to]).status !== 0) {
    rmSync(to, { recursive: true, force: true });
    return undefined; // another file system: run the real `npm ci`
  }
  rmSync(join(to, ".package-lock.json"));
  copyFileSync(hidden, join(to, ".package-lock.json"));
  return { note: `hard-linked ${join(ROOT, "node_modules")} (an install of the same package-lock.json)`, paths: [posix.join(stage.workdir, "node_modules")] };
}

let work = "";
let stages: ReplayedStage[] = [];
let run: ReplayedStage;
const log: string[] = [];
let gateway: Spawned | undefined;
let url = "";
let mock: RunningMock;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "sgw-dockerfile-"));
  // The image's user (uid 1000) must be able to reach the stage directories.
  chmodSync(work, 0o755);
  const started = Date.now();
  stages = await replayDockerfile(parseDockerfile(readFileSync(DOCKERFILE, "utf8")), {
    context: ROOT,
    ignore: dockerignore(readFileSync(IGNORE, "utf8")),
    work,
    substitute: linkCheckoutInstall,
    log: (line) => log.push(line),
  });
  log.push(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  run = stages.at(-1)!;

  mock = await startMockUpstream();
  const [cmd, ...args] = run.cmd ?? [];
  expect(cmd, "the final stage's CMD runs node").toBe("node");
  const asRoot = process.getuid?.() === 0;
  log.push(`CMD ${run.cmd?.join(" ")} as ${asRoot ? `${run.user} (uid ${imageUid(run.user)})` : "this user (not root: USER is not replayed)"}`);
  gateway = spawnProcess(process.execPath, args, {
    cwd: hostPath(run, "."),
    env: {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: hostPath(run, "/home/node"),
      ...imageEnv(run),
      // Loopback and a port of its own, instead of the image's 0.0.0.0:8000; the upstream is the mock.
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      UPSTREAM_BASE_URL: mock.baseUrl,
    },
    ...(asRoot ? { uid: imageUid(run.user), gid: imageUid(run.user) } : {}),
  });
  const listening = /gateway listening on (http:\/\/[^\s"]+)/;
  const starting = Date.now();
  await gateway.waitForOutput(listening);
  log.push(`listening after ${((Date.now() - starting) / 1000).toFixed(1)} s`);
  url = listening.exec(gateway.output())?.[1] ?? "";
}, REPLAY_MS);

afterAll(async () => {
  await gateway?.kill();
  await mock?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  // What was replayed and what was substituted, for whoever reads the run.
  process.stdout.write(`${log.join("\n")}\n`);
}, REPLAY_MS);

/** The final stage's ENV, absolute paths (DATA_DIR=/data) pointed into its directory. */
function imageEnv(stage: ReplayedStage): Record<string, string> {
  return Object.fromEntries(Object.entries(stage.env).map(([k, v]) => [k, v.startsWith("/") ? hostPath(stage, v) : v]));
}

describe("deploy/Dockerfile, replayed", { timeout: PROCESS_TEST_MS }, () => {
  it("puts package.json, a production install and dist/ with the pages' bundles in the image, and nothing else", () => {
    expect(readdirSync(hostPath(run, ".")).sort()).toEqual(["dist", "node_modules", "package.json"]);
    // Only the data directory beside /app, owned by the image's user.
    expect(readdirSync(run.root).sort()).toEqual(["app", "data"]);
    if (process.getuid?.() === 0) expect(statSync(hostPath(run, "/data")).uid).toBe(imageUid("node"));
    const dist = hostPath(run, "dist");
    expect(readdirSync(dist).sort()).toEqual(["client", "mock-upstream", "src"]);
    for (const name of Object.keys(ASSETS)) expect(statSync(join(dist, "src/web/bundle", name)).size, name).toBeGreaterThan(1000);
    const files = listFiles(dist);
    expect(files.filter((f) => /(^|\/)tests?\//.test(f))).toEqual([]);
    expect(
      files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
      "TypeScript sources",
    ).toEqual([]);
  });

  it("installs no devDependency into the image: the runtime needs none (esbuild, tsx, typescript …)", () => {
    const lock = lockPackages(join(ROOT, "package-lock.json"));
    const installed = Object.keys(lockPackages(hostPath(run, "node_modules/.package-lock.json")));
    expect(installed.length).toBeGreaterThan(20);
    expect(installed.filter((k) => lock[k]?.dev)).toEqual([]);
    for (const name of DEV_ONLY) expect(existsSync(hostPath(run, `node_modules/${name}`)), name).toBe(false);
    // No node_modules above the stage either, or Node's lookup could find what the image lacks.
    for (let d = dirname(run.root); d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, "node_modules")), d).toBe(false);
  });

  it("serves /healthz and the three bundles from dist/ (200, the right type, real JavaScript and CSS)", async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    for (const [name, type] of Object.entries(ASSETS)) {
      const res = await fetch(`${url}/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get("content-type"), name).toContain(type);
      const body = await res.text();
      expect(body.length, name).toBeGreaterThan(1000);
      expect(body, name).toBe(readFileSync(hostPath(run, `dist/src/web/bundle/${name}`), "utf8"));
      if (type === "text/javascript") expect(() => new Script(body, { filename: name }), `${name} parses as a script`).not.toThrow();
      else expect(body, name).toMatch(/\{[^}]*:[^}]*\}/);
    }
    // The page that links them renders too.
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/assets/playground.js");
  });

  it("answers a chat request through its upstream, with the production dependencies only", async () => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-tagged", messages: [{ role: "user", content: "What is 2+2?" }], stream: false }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: "chat.completion", choices: [{ message: { role: "assistant", content: expect.any(String) } }] });
  });

  it("passes its own HEALTHCHECK command", async () => {
    const [cmd, ...args] = run.healthcheck ?? [];
    expect(cmd).toBe("node");
    const check = spawnProcess(process.execPath, args, { cwd: hostPath(run, "."), env: { PATH: process.env.PATH, ...imageEnv(run), PORT: new URL(url).port } });
    expect((await check.exited).code, check.output()).toBe(0);
  });

  it("takes the image's install from the production-only stage, never the build stage's", () => {
    expect(stages.map((s) => s.name)).toEqual(["deps", "build", "run"]);
    expect(log.some((l) => l.startsWith("[deps] RUN npm ci --omit=dev"))).toBe(true);
    expect(log.some((l) => /^\[run\] COPY --from=deps .*node_modules → \/app\/node_modules/.test(l))).toBe(true);
    expect(log.some((l) => /^\[run\] COPY --from=build .*node_modules/.test(l))).toBe(false);
  });
});

describe("the replay's own rules", () => {
  it("reads the ignore file as Docker does: the last matching rule wins, a directory covers its files", () => {
    const sent = dockerignore("**\n!src/**\n!scripts/build-web.ts\nsrc/secret\n# a comment\n");
    expect(sent("src/main.ts")).toBe(true);
    expect(sent("src/web/client/playground.ts")).toBe(true);
    expect(sent("src/secret/key.pem")).toBe(false);
    expect(sent("scripts/build-web.ts")).toBe(true);
    expect(sent("scripts/demo.sh")).toBe(false);
    expect(sent(".env")).toBe(false);
    expect(sent("node_modules/x/index.js")).toBe(false);
    const some = dockerignore("node_modules\n*.log\n");
    expect(some("node_modules/a/b.js")).toBe(false);
    expect(some("a.log")).toBe(false);
    expect(some("dir/a.log")).toBe(true);
    expect(some("src/a.ts")).toBe(true);
  });

  it("refuses to carry a substituted path into a later stage", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sgw-dockerfile-sub-"));
    try {
      mkdirSync(join(dir, "ctx"));
      const text = "FROM x AS a\nWORKDIR /app\nRUN npm ci\nFROM x AS b\nCOPY --from=a /app/node_modules ./node_modules\n";
      const replay = replayDockerfile(parseDockerfile(text), {
        context: join(dir, "ctx"),
        ignore: () => true,
        work: join(dir, "work"),
        substitute: (command, stage) =>
          Promise.resolve(command === "npm ci" ? { note: "linked", paths: [posix.join(stage.workdir, "node_modules")] } : undefined),
        log: () => undefined,
      });
      await expect(replay).rejects.toThrow(/copies \/app\/node_modules from a, where \/app\/node_modules was substituted/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
