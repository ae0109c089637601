/**
 * `make demo`'s script as a newcomer runs it: three sections then `[done]`, a prompt summary that
 * restates the question instead of repeating it, the pages' lifetime said out loud — and with
 * KEEP=1 the gateway stays up (pages included) until Ctrl-C. With keys or an admin token in `.env`
 * the demo authenticates with them; with only a keys file (digests) it says what it needs.
 *
 * Each run starts in a scratch directory of its own (the script finds the build beside itself and
 * the gateway reads `.env` from there), with an explicit environment: the checkout's `.env` and
 * the runner's shell never reach it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HEADINGS } from "../../client/render.js";
import { PROCESS_TEST_MS, READY_MS } from "../helpers/bounds.js";
import { freePort } from "../helpers/net.js";
import { childEnv, ROOT, scratchDir, spawnProcess, type Spawned } from "../helpers/process.js";

const running: Spawned[] = [];
const scratch: (() => void)[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.kill();
  for (const remove of scratch.splice(0)) remove();
});

/**
 * The demo with a short reasoning phase (2 s, progress every 0.5 s: the same sections and progress
 * lines a newcomer sees in 6) from a scratch directory holding `dotenv`, when given.
 */
async function demo(extra: Record<string, string> = {}, dotenv?: string): Promise<{ p: Spawned; port: number }> {
  const cwd = scratchDir("demo-");
  scratch.push(cwd.remove);
  if (dotenv !== undefined) writeFileSync(join(cwd.dir, ".env"), dotenv);
  const port = await freePort();
  const mockPort = await freePort();
  // detached: Ctrl-C in a terminal reaches the whole process group, and so does our kill().
  const p = spawnProcess("bash", [join(ROOT, "scripts/demo.sh")], {
    cwd: cwd.dir,
    detached: true,
    env: childEnv({
      PORT: String(port),
      MOCK_PORT: String(mockPort),
      HOST: "127.0.0.1",
      DATA_DIR: join(cwd.dir, "data"),
      MOCK_LONG_REASONING_SECONDS: "2",
      REASONING_PROGRESS_SECONDS: "0.5",
      CLIENT_ARGS: "",
      KEEP: "",
      ...extra,
    }),
  });
  running.push(p);
  return { p, port };
}

describe("make demo", { timeout: PROCESS_TEST_MS }, () => {
  it("prints the three sections then [done], a real prompt summary, and says the pages stop with it", async () => {
    const { p } = await demo();
    const { code } = await p.exited;
    expect(code, p.output()).toBe(0);
    const out = p.out();
    const order = [HEADINGS.prompt, HEADINGS.reasoning, HEADINGS.output, "[done]"].map((h) => out.indexOf(h));
    expect(order.every((i) => i >= 0), out).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(out).toContain(`${HEADINGS.prompt}\nAsks why the sky is blue — touching on violet, shorter and wavelength; one short paragraph wanted.\n`);
    // Live progress lines while the mock's long reasoner thinks, then the final bullets.
    // Progress notes arrive as "**Heading**: sentence"; a piped terminal shows the heading without the marks.
    expect(out).toMatch(new RegExp(`${HEADINGS.reasoning.replace(/[()]/g, "\\$&")}\\n(… [^*\\n]+: .+\\n)+- .+\\n- .+`));
    expect(out).not.toContain("**");
    expect(out).toContain("they stop when the demo ends; make demo KEEP=1 keeps them up until Ctrl-C");
    expect(out).toMatch(/request log: 1 request\(s\) so far/);
  });

  it("KEEP=1 keeps the gateway and the pages up until Ctrl-C, then stops everything", async () => {
    const { p, port } = await demo({ KEEP: "1" });
    await p.waitForOutput("press Ctrl-C to stop", READY_MS);
    expect(p.out()).toContain("[done]");
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    process.kill(-p.child.pid!, "SIGINT");
    // Ctrl-C is how a KEEP=1 demo ends: a clean exit, not a failure.
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(p.out()).toContain("stopped.");
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it("with keys and an admin token in .env: the client uses the first key, the request log is read with the admin token", async () => {
    const { p, port } = await demo({ KEEP: "1" }, "GATEWAY_API_KEYS= demo-key-one , demo-key-two\nADMIN_TOKEN=an-admin-token-long-enough\n");
    await p.waitForOutput("press Ctrl-C to stop", READY_MS);
    expect(p.out()).toContain("[done]");
    expect(p.out()).toMatch(/request log: 1 request\(s\) so far/);
    // The gateway really was locked: no key, no answer; the first key answers; the log wants the admin token.
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/v1/models`)).status).toBe(401);
    expect((await fetch(`${base}/v1/models`, { headers: { authorization: "Bearer demo-key-one" } })).status).toBe(200);
    expect((await fetch(`${base}/v1/requests`, { headers: { authorization: "Bearer demo-key-one" } })).status).toBe(403);
    // Secrets stay out of what the demo prints.
    expect(p.output()).not.toMatch(/demo-key-one|an-admin-token-long-enough/);
  });

  it("with keys only (no admin token), counts the request log with the first key", async () => {
    const { p } = await demo({}, "GATEWAY_API_KEYS=only-key\n");
    const { code } = await p.exited;
    expect(code, p.output()).toBe(0);
    expect(p.out()).toContain("[done]");
    expect(p.out()).toMatch(/request log: 1 request\(s\) so far/);
  });

  it("with only a keys file (digests), says plainly that it needs a key instead of failing with a bare code", async () => {
    const { p } = await demo({}, "GATEWAY_KEYS_FILE=/nonexistent/keys.yaml\n");
    const { code } = await p.exited;
    expect(code).toBe(1);
    expect(p.err()).toContain("GATEWAY_KEYS_FILE, which holds only their digests");
    expect(p.err()).toContain("Set GATEWAY_API_KEY=");
  });

  it("with the request log off, says so instead of failing", async () => {
    const { p } = await demo({}, "REQUEST_LOG=false\n");
    const { code } = await p.exited;
    expect(code, p.output()).toBe(0);
    expect(p.out()).toContain("request log: not counted: the request log is off (REQUEST_LOG=false)");
  });
});
