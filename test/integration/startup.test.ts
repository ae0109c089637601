/**
 * Start-up as an operator meets it: a second gateway on the same DATA_DIR refuses with a clear
 * message, a crashed gateway's lock is taken over, and an unreachable upstream is warned about
 * without stopping the gateway from serving.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { spawnGateway, startGatewayProcess, type Spawned } from "../helpers/process.js";

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
    dataDir = mkdtempSync(join(tmpdir(), "gw-lock-"));
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
