/**
 * The real binary as a child process (the compiled `node dist/client/bin.js`) against a fake gateway
 * and the mock upstream's Friendli management API: exit codes, output streams, `.env`, SIGINT.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { HEADINGS } from "../../client/render.js";
import { happyScript, startFakeGateway, type FakeGateway } from "../unit/client/fake-gateway.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { DIST, pollUntil } from "../helpers/process.js";

// A scratch working directory: the binary reads `.env` from its cwd, and the repo's own must not leak in.
let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), "staged-client-"));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

let gw: FakeGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Start the binary with a clean environment (only PATH plus `env`). */
function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Result>; out: () => string } {
  const child = spawn(process.execPath, [DIST.client, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (err += s));
  const done = new Promise<Result>((resolveDone) => {
    child.on("close", (code, signal) => resolveDone({ code, signal, out, err }));
  });
  return { child, done, out: () => out };
}

const runBin = (args: string[], env?: Record<string, string>): Promise<Result> => start(args, env).done;

// Every test spawns the binary: bounds sized for a busy machine.
describe("client binary against a fake gateway", { timeout: PROCESS_TEST_MS }, () => {
  it("prints the three sections in order, the answer and [done]; exit 0, quiet stderr", async () => {
    gw = await startFakeGateway({ sse: happyScript() });
    const r = await runBin(["--url", gw.url]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const order = [HEADINGS.prompt, HEADINGS.reasoning, HEADINGS.output, "The ball costs $0.05.", "[done]"].map((s) => r.out.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.out).not.toContain("\u001b["); // piped: no colours
  });

  it("--json prints one parseable line per event", async () => {
    gw = await startFakeGateway({ sse: happyScript() });
    const r = await runBin(["--url", gw.url, "--json"]);
    expect(r.code).toBe(0);
    const events = r.out
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.delta", "output.done"]);
  });

  it("reads GATEWAY_URL from a .env file in the working directory", async () => {
    gw = await startFakeGateway({ sse: happyScript() });
    writeFileSync(join(cwd, ".env"), `GATEWAY_URL=${gw.url}\nGATEWAY_API_KEY=from-dotenv\n`);
    try {
      const r = await runBin([]);
      expect(r.code).toBe(0);
      expect(gw.requests[0]!.headers.authorization).toBe("Bearer from-dotenv");
    } finally {
      rmSync(join(cwd, ".env"));
    }
  });

  it("exits 1 on a gateway error and 2 on bad usage, one line each, no stack trace", async () => {
    gw = await startFakeGateway({ status: 403, json: { error: { message: "model x is not allowed", type: "forbidden", code: "model_not_allowed" } } });
    const denied = await runBin(["--url", gw.url, "--model", "x"]);
    expect(denied.code).toBe(1);
    expect(denied.err).toBe("error: the gateway answered HTTP 403 (model_not_allowed): model x is not allowed\n");
    const bad = await runBin(["--url", gw.url, "--max-tokens", "lots"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--max-tokens");
    expect(bad.err).not.toMatch(/\n\s+at /);
  });

  it("SIGINT closes the stream (the gateway sees it) and exits 130", async () => {
    gw = await startFakeGateway({ sse: [happyScript()[0]!, { hang: true }] });
    const p = start(["--url", gw.url]);
    await pollUntil("the prompt summary heading", () => p.out().includes(HEADINGS.prompt));
    p.child.kill("SIGINT");
    await gw.disconnected;
    const r = await p.done;
    expect(gw.disconnects).toBe(1);
    expect(r.code).toBe(130);
    expect(r.err).toContain("interrupted");
  });
});

describe("client binary --wake against the mock upstream's management API", { timeout: PROCESS_TEST_MS }, () => {
  const TOKEN = "flp_test_token";
  let mock: Awaited<ReturnType<typeof startMockUpstream>>;
  beforeAll(async () => {
    mock = await startMockUpstream({
      wakeDelayMs: 300,
      managementToken: TOKEN,
      endpoints: {
        "ep-sleepy-1": { status: "SLEEPING" },
        "ep-failed-1": { status: "FAILED", errorCode: "WORKLOAD_INIT_DOWNLOAD_ERROR" },
        "ep-failed-2": { status: "FAILED", errorCode: "INFERENCE_ENGINE_MEMORY_ERROR" },
        "ep-stuck-1": { status: "SLEEPING", stuck: true },
        "ep-running-1": { status: "RUNNING" },
        "ep-nap-1": { status: "SLEEPING" },
      },
    });
  });
  afterAll(async () => {
    await mock.close();
  });
  const env = (): Record<string, string> => ({ FRIENDLI_API_BASE: `http://127.0.0.1:${mock.port}`, FRIENDLI_TOKEN: TOKEN, FRIENDLI_TEAM: "team-a" });

  it("wakes a sleeping endpoint once, waits through its phases, then sends the chat request", async () => {
    gw = await startFakeGateway({ sse: happyScript() });
    const r = await runBin(["--url", gw.url, "--wake", "--model", "ep-sleepy-1", "--wake-interval", "0.05"], env());
    expect(r.code).toBe(0);
    expect(r.err).toContain("ep-sleepy-1: SLEEPING");
    expect(r.err).toMatch(/ep-sleepy-1: AWAKING · phase (REQUESTING_VIRTUAL_MACHINE|DOWNLOADING_MODEL|ENGINE_INITIALIZING)/);
    expect(r.err).toContain("ep-sleepy-1 is ready (RUNNING)");
    const calls = mock.mock.managementCalls.filter((c) => c.endpointId === "ep-sleepy-1");
    expect(calls.filter((c) => c.action === "wake")).toHaveLength(1);
    expect(calls.every((c) => c.team === "team-a" && c.status === 200)).toBe(true);
    expect(gw.requests.map((q) => q.body.model)).toEqual(["ep-sleepy-1"]);
    expect(r.out).toContain("[done]");
  });

  it("stops on a FAILED endpoint, a stuck one (timeout), an unknown one and a bad token, sending no chat request", async () => {
    gw = await startFakeGateway({ sse: happyScript() });
    const failed = await runBin(["--url", gw.url, "--wake", "--model", "ep-failed-1"], env());
    expect(failed.code).toBe(1);
    expect(failed.err).toContain("is FAILED (WORKLOAD_INIT_DOWNLOAD_ERROR: the model could not be downloaded)");
    expect(failed.err).toContain("Run again with --restart");
    // No terminal to ask on (stdin is not a TTY here): --restart without --yes restarts nothing.
    const unasked = await runBin(["--url", gw.url, "--restart", "--model", "ep-failed-1"], env());
    expect(unasked.code).toBe(1);
    expect(unasked.err).toContain("pass --yes with --restart");
    const missing = await runBin(["--url", gw.url, "--wake", "--model", "ep-unknown"], env());
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("ep-unknown was not found (HTTP 404)");
    const stuck = await runBin(["--url", gw.url, "--wake", "--model", "ep-stuck-1", "--wake-timeout", "0.5", "--wake-interval", "0.1"], env());
    expect(stuck.code).toBe(1);
    expect(stuck.err).toContain("ep-stuck-1 was not ready after");
    const denied = await runBin(["--url", gw.url, "--wake", "--model", "ep-running-1"], { ...env(), FRIENDLI_TOKEN: "wrong" });
    expect(denied.code).toBe(1);
    expect(denied.err).toContain("refused the token (HTTP 401)");
    expect(gw.requests).toHaveLength(0);
    expect(mock.mock.managementCalls.filter((c) => c.action === "restart")).toHaveLength(0);
  });

  it("--restart --yes restarts a FAILED endpoint through INITIALIZING, then sends the chat request", async () => {
    gw = await startFakeGateway({ sse: happyScript() });
    const r = await runBin(["--url", gw.url, "--restart", "--yes", "--model", "ep-failed-2", "--wake-interval", "0.05", "Why is the sky blue?"], env());
    expect(r.code).toBe(0);
    expect(r.err).toContain("ep-failed-2: FAILED (INFERENCE_ENGINE_MEMORY_ERROR: the engine ran out of GPU memory)");
    expect(r.err).toContain("[wake] restart requested");
    expect(r.err).toMatch(/ep-failed-2: INITIALIZING · phase (REQUESTING_VIRTUAL_MACHINE|DOWNLOADING_MODEL|ENGINE_INITIALIZING)/);
    expect(r.err).toContain("ep-failed-2 is ready (RUNNING)");
    expect(mock.mock.managementCalls.filter((c) => c.endpointId === "ep-failed-2" && c.action === "restart")).toHaveLength(1);
    expect(gw.requests.map((q) => q.body.model)).toEqual(["ep-failed-2"]);
  });

  it("check-dedicated: exit 0 when running, 1 when sleeping, 2 without an id", async () => {
    const running = await runBin(["check-dedicated", "--model", "ep-running-1"], env());
    expect(running.code).toBe(0);
    expect(running.out).toMatch(/^endpoint: ep-running-1\nstatus: {3}RUNNING\nphase: {4}none\nupdated: {2}\d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    const sleeping = await runBin(["check-dedicated"], { ...env(), FRIENDLI_ENDPOINT_ID: "ep-nap-1" });
    expect(sleeping.code).toBe(1);
    expect(sleeping.out).toContain("status:   SLEEPING");
    const none = await runBin(["check-dedicated"], env());
    expect(none.code).toBe(2);
  });
});
