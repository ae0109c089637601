import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { happyScript, startFakeGateway, type FakeGateway, type Reply } from "./fake-gateway.js";
import { run } from "./helpers.js";

let gw: FakeGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

async function gateway(reply: Reply): Promise<FakeGateway> {
  gw = await startFakeGateway(reply);
  return gw;
}

/** A port nobody listens on: bind one, note it, close it. */
async function freePort(): Promise<number> {
  const srv: Server = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return typeof addr === "object" && addr ? addr.port : 0;
}

describe("client: bad usage exits 2 before anything is sent", () => {
  it.each([
    [["--temperature", "3"], "--temperature"],
    [["--temperature", "warm"], "--temperature"],
    [["--max-tokens", "0"], "--max-tokens"],
    [["--max-tokens", "1.5"], "--max-tokens"],
    [["--timeout", "0"], "--timeout"],
    [["--timeout", "-1"], "--timeout"],
    [["--wake-timeout", "abc"], "--wake-timeout"],
    [["--wake-interval", "0"], "--wake-interval"],
    [["--url", "not a url"], "--url"],
    [["--url", "ftp://x/y"], "--url"],
    [["--prompt", " "], "--prompt"],
    [["--bogus"], "unknown option"],
    [["--prompt", "a", "--message", "b"], "give the question once: --prompt and --message were both given"],
    [["--prompt", "a", "bare words"], "give the question once: --prompt and a bare prompt were both given"],
    [[" "], "the prompt is empty"],
    [["--wake"], "--wake needs a dedicated endpoint id"],
  ])("%j", async (argv, needle) => {
    const g = await gateway({ sse: happyScript() });
    const r = await run(["--url", g.url, ...argv]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(needle);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(g.requests).toHaveLength(0);
  });

  it("rejects a bad GATEWAY_URL with exit 2", async () => {
    const r = await run([], { env: { GATEWAY_URL: "localhost:8000" } });
    expect(r.code).toBe(2);
    expect(r.err).toContain("GATEWAY_URL");
  });

  it("--help exits 0 and lists the flags", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--url", "--model", "--json", "--no-color", "--wake-timeout", "check-dedicated"]) expect(r.out).toContain(flag);
  });
});

describe("client: gateway failures exit 1 with one clear line", () => {
  it("prints the JSON error message and code of a non-2xx answer", async () => {
    const g = await gateway({
      status: 400,
      json: { error: { message: "messages: must be a non-empty array", type: "invalid_request_error", code: "invalid_request" } },
    });
    const r = await run(["--url", g.url]);
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: the gateway answered HTTP 400 (invalid_request): messages: must be a non-empty array\n");
  });

  it("hints at --api-key on 401", async () => {
    const g = await gateway({ status: 401, json: { error: { message: "missing API key", type: "auth", code: "unauthorized" } } });
    const r = await run(["--url", g.url]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("HTTP 401 (unauthorized): missing API key — pass --api-key or set GATEWAY_API_KEY");
  });

  it("hints at --wake when a dedicated endpoint is unavailable", async () => {
    const g = await gateway({ status: 502, json: { error: { message: "Endpoint is unavailable", type: "upstream_error", code: "upstream_error" } } });
    const r = await run(["--url", g.url, "--model", "ep-abc"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("run again with --wake");
  });

  it("names the URL when the connection is refused", async () => {
    const base = `http://127.0.0.1:${await freePort()}`;
    const r = await run(["--url", `${base}/v1/chat/completions`]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: cannot reach the gateway at ${base}: connection refused — is it running?\n`);
    // With a model named, the chat request is the first contact: its URL is named.
    const named = await run(["--url", base, "--model", "m"]);
    expect(named.err).toBe(`error: cannot reach the gateway at ${base}/v1/chat/completions: connection refused — is it running?\n`);
  });

  it("--timeout cancels a stalled stream and exits 1", async () => {
    const g = await gateway({ sse: [happyScript()[0]!, { hang: true }] });
    const r = await run(["--url", g.url, "--timeout", "0.3"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("no complete answer within 0.3 s (--timeout)");
    await g.disconnected;
    expect(g.disconnects).toBe(1);
  });
});

describe("client: aborting through io.signal", () => {
  it("closes the stream (the gateway sees the disconnect) and exits 130", async () => {
    const g = await gateway({ sse: [happyScript()[0]!, { hang: true }] });
    const ac = new AbortController();
    let out = "";
    const pending = run(["--url", g.url], {
      signal: ac.signal,
      stdout: {
        write: (s) => {
          out += s;
          // Abort once the first section is on screen: mid-stream, like a user pressing Ctrl-C.
          if (out.includes("bat and a ball")) ac.abort();
        },
      },
    });
    const r = await pending;
    expect(r.code).toBe(130);
    expect(r.err).toContain("interrupted");
    expect(r.err).not.toMatch(/\n\s+at /);
    await g.disconnected;
    expect(g.disconnects).toBe(1);
  });
});
