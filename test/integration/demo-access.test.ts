/**
 * `make demo` with an access-controlled `.env`: keys and an admin token there are honoured and the
 * demo authenticates with them (the first key for the client and, without an admin token, for the
 * request log); with only a keys file (digests) it says what it needs; with the request log off it
 * says so — never a bare exit code.
 */
import { describe, expect, it } from "vitest";
import { PROCESS_TEST_MS, READY_MS } from "../helpers/bounds.js";
import { useDemo } from "../helpers/demo.js";

const demo = useDemo();

describe("make demo with access control in .env", { timeout: PROCESS_TEST_MS }, () => {
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
