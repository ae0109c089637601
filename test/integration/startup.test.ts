/**
 * Start-up as an operator meets it: a second gateway on the same DATA_DIR refuses with a clear
 * message, a crashed gateway's lock is taken over, and an unreachable upstream is warned about
 * without stopping the gateway from serving.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { PROCESS_TEST_MS, READY_MS } from "../helpers/bounds.js";
import { childEnv, SCRATCH_ROOT, scratchDir, spawnGateway, spawnProcess, startGatewayProcess, type Spawned } from "../helpers/process.js";

const running: Spawned[] = [];
let dataDir = "";
let mock: RunningMock | undefined;
afterEach(async () => {
  for (const p of running.splice(0)) await p.kill();
  await mock?.close();
  mock = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("gateway start-up", { timeout: PROCESS_TEST_MS }, () => {
  it("refuses a second gateway on the same DATA_DIR, and takes over the lock of one that died", async () => {
    mock = await startMockUpstream();
    dataDir = mkdtempSync(join(SCRATCH_ROOT, "gw-lock-"));
    const env = { UPSTREAM_BASE_URL: mock.baseUrl, DATA_DIR: dataDir };
    const first = await startGatewayProcess(env);
    running.push(first);
    expect(readFileSync(join(dataDir, "gateway.lock"), "utf8")).toBe(`${first.child.pid}\n`);

    const second = spawnGateway({ ...env, PORT: "0", HOST: "127.0.0.1" });
    running.push(second);
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toContain(`DATA_DIR ${dataDir} is in use by another gateway (pid ${first.child.pid})`);
    // The first one is unharmed.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);

    // kill -9 leaves the lock file behind; the next gateway sees its owner is gone and takes over.
    await first.kill();
    expect(existsSync(join(dataDir, "gateway.lock"))).toBe(true);
    const third = await startGatewayProcess(env);
    running.push(third);
    expect(readFileSync(join(dataDir, "gateway.lock"), "utf8")).toBe(`${third.child.pid}\n`);
  });

  it("warns about an unreachable upstream at start-up and serves anyway", async () => {
    const gw = await startGatewayProcess({ UPSTREAM_BASE_URL: "http://127.0.0.1:9/v1", REQUEST_LOG: "false" });
    running.push(gw);
    await gw.waitForOutput("the upstream is not reachable at start-up");
    expect(gw.hasExited()).toBe(false);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it("stops with a hint when UPSTREAM_BASE_URL is a full chat URL", async () => {
    const p = spawnGateway({ PORT: "0", REQUEST_LOG: "false", UPSTREAM_BASE_URL: "https://api.example.com/v1/chat/completions" });
    running.push(p);
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toContain("UPSTREAM_BASE_URL: ends in /chat/completions: give the base URL before it");
  });
});

const ROOT = resolve(import.meta.dirname, "../..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** A scratch working directory, and an environment that names everything (nothing inherited but PATH and HOME). */
function scratch(extra: Record<string, string> = {}): { cwd: string; env: Record<string, string | undefined> } {
  const { dir: cwd, remove } = scratchDir("gw-built-");
  removals.push(remove);
  return { cwd, env: childEnv({ DATA_DIR: join(cwd, "data"), PORT: "0", HOST: "127.0.0.1", ...extra }) };
}
const removals: (() => void)[] = [];
afterEach(() => {
  for (const remove of removals.splice(0)) remove();
});

describe("the built gateway and client", { timeout: PROCESS_TEST_MS }, () => {
  // The integration project's global set-up ran make build before this file.
  it("is current after make build: a second make build has nothing to do", () => {
    // `make -q` exits 0 only when every target is up to date.
    expect(() => execFileSync("make", ["-q", "build"], { cwd: ROOT, stdio: "ignore" })).not.toThrow();
  });

  for (const [bin, entry] of [
    ["staged-gateway", "dist/src/main.js"],
    ["staged-client", "dist/client/bin.js"],
  ] as const) {
    it(`${bin} --version and -V print the version and exit 0 without creating anything`, async () => {
      const { cwd, env } = scratch();
      for (const flag of ["--version", "-V"]) {
        const p = spawnProcess(process.execPath, [join(ROOT, entry), flag], { cwd, env });
        running.push(p);
        expect((await p.exited).code).toBe(0);
        expect(p.out()).toBe(`${VERSION}\n`);
      }
      expect(readdirSync(cwd)).toEqual([]);
    });
  }

  it("staged-gateway --help and -h print usage and every variable group, and exit 0 without opening anything", async () => {
    const { cwd, env } = scratch();
    for (const [cmd, args] of [
      [process.execPath, [join(ROOT, "dist/src/main.js"), "--help"]],
      [process.execPath, [join(ROOT, "dist/src/main.js"), "-h"]],
      [process.execPath, [join(ROOT, "bin/staged-gateway.mjs"), "--help"]],
    ] as const) {
      const p = spawnProcess(cmd, [...args], { cwd, env });
      running.push(p);
      expect((await p.exited).code).toBe(0);
      expect(p.out()).toMatch(/^Usage: staged-gateway \[options\]/);
      for (const title of ["Listening:", "Upstream:", "Access:", "Request log:", "Several replicas:", "Logs and traces:"]) expect(p.out()).toContain(title);
      expect(p.out()).toContain("DATA_DIR");
      expect(p.output()).not.toContain("gateway listening");
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("refuses unknown arguments with a usage error", async () => {
    const { cwd, env } = scratch();
    const p = spawnProcess(process.execPath, [join(ROOT, "dist/src/main.js"), "--bogus"], { cwd, env });
    running.push(p);
    expect((await p.exited).code).toBe(1);
    expect(p.err()).toContain("unknown option '--bogus'");
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("stops on a bad keys file, naming it", async () => {
    const { cwd, env } = scratch();
    writeFileSync(join(cwd, "keys.yaml"), "keys:\n  - name: bad\n    sha256: xyz\n");
    const p = spawnProcess(process.execPath, [join(ROOT, "dist/src/main.js")], { cwd, env: { ...env, GATEWAY_KEYS_FILE: join(cwd, "keys.yaml") } });
    running.push(p);
    expect((await p.exited).code).toBe(1);
    expect(p.err()).toMatch(/keys\.yaml: invalid keys file:\n {2}- keys\.0\.sha256/);
    expect(p.err()).not.toContain("gateway failed to start");
  });

  it("answers /healthz before the request log on an empty DATA_DIR is open, and the log's routes say it is starting", async () => {
    const { cwd, env } = scratch();
    const p = spawnProcess(process.execPath, [join(ROOT, "dist/src/main.js")], { cwd, env });
    running.push(p);
    await p.waitForOutput("gateway listening", READY_MS);
    const line =
      p
        .out()
        .split("\n")
        .find((l) => l.includes("gateway listening")) ?? "";
    const url = /gateway listening on (http:\/\/[^\s"]+)/.exec(line)?.[1] ?? "";
    expect(JSON.parse(line)).toMatchObject({ playground: `${url}/`, admin: `${url}/admin` });
    // Order, not time: the server answers while the embedded database is still being created.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const early = await fetch(`${url}/v1/requests`);
    // Creating the database takes seconds: it cannot have finished yet.
    expect(p.out()).not.toContain("request log: open");
    expect(early.status).toBe(503);
    expect(((await early.json()) as { error: { code: string } }).error.code).toBe("request_log_starting");
    await p.waitForOutput("request log: open", READY_MS);
    expect((await fetch(`${url}/v1/requests`)).status).toBe(200);
  });

  it("loads pg only for DATABASE_URL, neither database driver with REQUEST_LOG=false, and never ioredis, the schema checker, the YAML parser or OpenTelemetry unasked", async () => {
    const { cwd, env } = scratch();
    // A module hook that names each optional heavy module as it is resolved: the database drivers,
    // ioredis (REDIS_URL only), the schema checker's Ajv and re2js (the validation workers only) and
    // yaml (a providers or keys file only) and OpenTelemetry, API included (an OTLP endpoint only).
    writeFileSync(
      join(cwd, "hooks.mjs"),
      `export async function resolve(s, c, next) { const r = await next(s, c); if (/node_modules\\/(pg|@electric-sql\\/pglite|ioredis|ajv|ajv-formats|re2js|yaml|@opentelemetry\\/[\\w-]+)\\//.test(r.url)) process.stderr.write("loaded " + r.url + "\\n"); return r; }\n`,
    );
    writeFileSync(join(cwd, "trace.mjs"), `import { register } from "node:module"; register("./hooks.mjs", import.meta.url);\n`);
    const run = async (extra: Record<string, string>, until = "gateway listening"): Promise<string> => {
      const p = spawnProcess(process.execPath, ["--import", join(cwd, "trace.mjs"), join(ROOT, "dist/src/main.js")], { cwd, env: { ...env, ...extra } });
      running.push(p);
      await p.waitForOutput(until, READY_MS);
      await p.kill();
      return p.err();
    };
    expect(await run({ REQUEST_LOG: "false" })).not.toContain("loaded ");
    // PGlite is loaded in its own thread, never in the gateway's: the gateway's thread loads neither.
    expect(await run({}, "request log: open")).not.toContain("loaded ");
    // Nothing listens on port 9: the log cannot connect, but it has loaded pg to try.
    expect(await run({ REQUEST_LOG: "true", DATABASE_URL: "postgres://gw@127.0.0.1:9/none" }, "request log: database unreachable")).toMatch(
      /loaded \S*node_modules\/pg\//,
    );
  });
});
