/**
 * The CLI installs like a Node tool: `npm pack` of the built package, then
 * `npm install -g ./the.tgz --prefix <tmp> --offline`, then the installed `staged-gateway` and
 * `staged-client` are used from an unrelated working directory — and `npx` works from the checkout.
 *
 * Offline on purpose: the package bundles its runtime dependencies (`bundleDependencies`), so the
 * install needs nothing from the registry; without that, npm would ask the registry for every
 * dependency's metadata, which `npm ci` never cached.
 *
 * `npm pack --ignore-scripts`: the suite's global set-up already ran `make build`, and `prepack`
 * (which builds dist/ for a real publish) rewriting dist/ in place would pull it from under the
 * other process tests running beside this one. That `prepack` builds is checked on its own below.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { HEADINGS } from "../../client/render.js";
import { READY_MS } from "../helpers/bounds.js";
import { spawnProcess, type Spawned } from "../helpers/process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const PACKAGE_TEST_MS = 600_000;

let work = "";
let prefix = "";
let mock: RunningMock;
const started: Spawned[] = [];

/**
 * npm's tar extraction can stall without an error: seen once on a saturated machine, where
 * `npm install -g` wrote 6,236 of the package's 6,510 files, then nothing for ten minutes. The npm
 * steps pass `stallMs` (several times what they take on a loaded machine): a run that has not
 * exited by then is killed and run once more, saying so; a second stall fails.
 */
const NPM_STEP_MS = 180_000;

/** Run a command to completion; fail with its output when it does not exit 0. */
async function runOk(command: string, args: string[], options: Parameters<typeof spawnProcess>[2] = {}, stallMs?: number): Promise<Spawned> {
  for (let attempt = 1; ; attempt++) {
    const p = spawnProcess(command, args, options);
    started.push(p);
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<"stalled">((resolve) => {
      if (stallMs !== undefined) timer = setTimeout(() => resolve("stalled"), stallMs);
    });
    const outcome = await Promise.race([p.exited, stalled]);
    clearTimeout(timer);
    if (outcome !== "stalled") {
      if (outcome.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${outcome.code}:\n${p.output()}`);
      return p;
    }
    await p.kill();
    const what = `${command} ${args[0] ?? ""} did not exit within ${(stallMs ?? 0) / 1000} s`;
    if (attempt === 2) throw new Error(`${what}, twice:\n${p.output()}`);
    console.warn(`${what}; killed, running it once more`);
  }
}

/** An environment with nothing of ours in it but PATH and HOME (npm needs HOME for its cache). */
const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...extra });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "staged-pack-"));
  prefix = join(work, "prefix");
  mock = await startMockUpstream();
  const pack = await runOk("npm", ["pack", "--ignore-scripts", "--pack-destination", work, "--loglevel=error"], { cwd: ROOT }, NPM_STEP_MS);
  const tgz = pack.out().trim().split("\n").at(-1) ?? "";
  expect(tgz).toMatch(/^staged-reasoning-gateway-.*\.tgz$/);
  await runOk(
    "npm",
    ["install", "-g", join(work, tgz), "--prefix", prefix, "--offline", "--no-audit", "--no-fund", "--loglevel=error"],
    { cwd: work, env: cleanEnv() },
    NPM_STEP_MS,
  );
}, PACKAGE_TEST_MS);

afterAll(async () => {
  for (const p of started) await p.kill();
  await mock?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("npm pack + npm install -g (offline)", { timeout: PACKAGE_TEST_MS }, () => {
  it("builds before packing: prepack is the build", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepack).toBe("npm run build");
    // The build is make's (only what changed); its recipes compile and write the client's types.
    expect(pkg.scripts.build).toBe("make -s build");
    const makefile = readFileSync(join(ROOT, "Makefile"), "utf8");
    expect(makefile).toMatch(/scripts\/build-server\.ts/);
    expect(makefile).toMatch(/\$\(TSC\) -p tsconfig\.sdk\.json/);
    // TypeScript 7, the native compiler, from its own folder (its tsc would clash with 5.9's bin).
    expect(makefile).toMatch(/^TSC := tools\/typescript-7\/node_modules\/\.bin\/tsc$/m);
  });

  it("installs both commands and ships compiled JavaScript, not the TypeScript sources", () => {
    expect(readdirSync(join(prefix, "bin")).sort()).toEqual(["staged-client", "staged-gateway"]);
    const installed = join(prefix, "lib/node_modules/staged-reasoning-gateway");
    expect(existsSync(join(installed, "dist/src/main.js"))).toBe(true);
    expect(existsSync(join(installed, "src/main.ts"))).toBe(false);
    expect(existsSync(join(installed, "client/bin.ts"))).toBe(false);
    expect(existsSync(join(installed, "node_modules/@electric-sql/pglite/package.json"))).toBe(true);
    // The typed client is the package's one import, with its types.
    expect(existsSync(join(installed, "dist/src/sdk/index.d.ts"))).toBe(true);
  });

  it("exports the typed client as staged-reasoning-gateway/client", async () => {
    // Resolved as an app beside the installed package would: from a folder whose node_modules holds it.
    const script = 'import("staged-reasoning-gateway/client").then((m) => console.log(typeof m.createStagedClient, typeof m.GatewayHttpError))';
    const p = await runOk(process.execPath, ["--input-type=module", "-e", script], { cwd: join(prefix, "lib"), env: cleanEnv() });
    expect(p.out().trim()).toBe("function function");
  });

  it("runs the installed gateway from another directory and answers the installed client", async () => {
    const cwd = mkdtempSync(join(work, "elsewhere-"));
    const gateway = spawnProcess(join(prefix, "bin/staged-gateway"), [], {
      cwd,
      env: cleanEnv({ PORT: "0", HOST: "127.0.0.1", UPSTREAM_BASE_URL: mock.baseUrl, LOG_LEVEL: "info" }),
    });
    started.push(gateway);
    const listening = /gateway listening on (http:\/\/[^\s"]+)/;
    await gateway.waitForOutput(listening, READY_MS);
    const url = listening.exec(gateway.output())?.[1] ?? "";

    const client = await runOk(join(prefix, "bin/staged-client"), ["Why is the sky blue?"], { cwd, env: cleanEnv({ GATEWAY_URL: url }) });
    const order = [HEADINGS.prompt, HEADINGS.reasoning, HEADINGS.output, "[done]"].map((h) => client.out().indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    // The pages and every script they load come from the installed files, not the working directory.
    for (const page of ["/", "/admin"]) {
      const res = await fetch(`${url}${page}`);
      expect(res.status, page).toBe(200);
      const html = await res.text();
      for (const asset of html.match(/\/assets\/[\w./-]+/g) ?? []) expect((await fetch(`${url}${asset}`)).status, asset).toBe(200);
    }
    // The request log's migrations ran (embedded PGlite in ./data of the working directory).
    await expect.poll(async () => ((await (await fetch(`${url}/v1/requests`)).json()) as { requests: unknown[] }).requests.length).toBe(1);
    expect(existsSync(join(cwd, "data"))).toBe(true);
  });

  it("staged-client --help from the install names the new flags", async () => {
    const help = await runOk(join(prefix, "bin/staged-client"), ["--help"], { env: cleanEnv() });
    for (const flag of ["[prompt...]", "--restart", "--yes", "GATEWAY_URL"]) expect(help.out()).toContain(flag);
  });
});

describe("npx from the checkout", { timeout: PACKAGE_TEST_MS }, () => {
  it("runs staged-client and staged-gateway without a global install", async () => {
    const help = await runOk("npx", ["--offline", "staged-client", "--help"], { cwd: ROOT, env: cleanEnv() });
    expect(help.out()).toContain("Usage: staged-client");
    const gateway = spawnProcess("npx", ["--offline", "staged-gateway"], {
      cwd: ROOT,
      detached: true,
      env: cleanEnv({ PORT: "0", HOST: "127.0.0.1", UPSTREAM_BASE_URL: mock.baseUrl, LOG_LEVEL: "info", REQUEST_LOG: "false" }),
    });
    started.push(gateway);
    await gateway.waitForOutput("gateway listening", READY_MS);
  });
});
