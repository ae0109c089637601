import { afterEach, describe, expect, it } from "vitest";
import { HEADINGS } from "../../../client/render.js";
import { happyScript, REQUEST_ID, startFakeGateway, type FakeGateway, type Reply } from "./fake-gateway.js";
import { jsonLines, run } from "./helpers.js";

let gw: FakeGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

async function gateway(reply: Reply | ((body: Record<string, unknown>) => Reply)): Promise<FakeGateway> {
  gw = await startFakeGateway(reply);
  return gw;
}

const id = REQUEST_ID;

describe("client: the staged stream, human output", () => {
  it("prints the three sections in order, the answer, [done] and a timing footer", async () => {
    const g = await gateway({ sse: happyScript() });
    const r = await run(["--url", g.url, "--prompt", "bat and ball?"]);
    expect(r.code).toBe(0);
    const i1 = r.out.indexOf(HEADINGS.prompt);
    const i2 = r.out.indexOf(HEADINGS.reasoning);
    const i3 = r.out.indexOf(HEADINGS.output);
    expect(i1).toBeGreaterThanOrEqual(0);
    expect(i2).toBeGreaterThan(i1);
    expect(i3).toBeGreaterThan(i2);
    expect(r.out).toContain("The user asks about a bat and a ball.");
    expect(r.out).toContain("- set up x + (x + 1) = 1.10");
    expect(r.out).toContain(`${HEADINGS.output}\nThe ball costs $0.05.\n[done]\n`);
    expect(r.out).toMatch(/timings: first event \d+ ms \(client\) · prompt summary 120 ms · reasoning end 900 ms/);
    expect(r.out).toContain("total 1.40 s");
    expect(r.out).toContain(`request ${id} · finish stop · tokens 12 in / 34 out`);
    // Piped output: no colours, no spinner frames.
    expect(r.out).not.toContain("\u001b[");
    expect(r.err).toBe("");
  });

  it("sends a streaming OpenAI request with the flags it was given", async () => {
    const g = await gateway({ sse: happyScript() });
    const r = await run(
      ["--url", g.url, "--model", "m1", "--summary-model", "s1", "--message", "hi", "--system", "be brief", "--temperature", "0.5", "--max-tokens", "64"],
      { env: { GATEWAY_API_KEY: "gk-env" } },
    );
    expect(r.code).toBe(0);
    const req = g.requests[0]!;
    expect(req.body).toEqual({
      model: "m1",
      summary_model: "s1",
      stream: true,
      temperature: 0.5,
      max_tokens: 64,
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
    });
    expect(req.headers.accept).toBe("text/event-stream");
    expect(req.headers.authorization).toBe("Bearer gk-env");
  });

  it("uses FRIENDLI_ENDPOINT_ID as the default model, the sample prompt, and --api-key over the env", async () => {
    const g = await gateway({ sse: happyScript() });
    await run(["--url", g.url, "--api-key", "gk-flag"], { env: { FRIENDLI_ENDPOINT_ID: "ep-abc", GATEWAY_API_KEY: "gk-env" } });
    const req = g.requests[0]!;
    expect(req.body.model).toBe("ep-abc");
    expect(JSON.stringify(req.body.messages)).toContain("Why is the sky blue");
    expect(req.headers.authorization).toBe("Bearer gk-flag");
  });

  it("takes the URL from GATEWAY_URL, and the model from the gateway's list", async () => {
    const g = await gateway({ sse: happyScript() });
    const r = await run([], { env: { GATEWAY_URL: g.url } });
    expect(r.code).toBe(0);
    expect(g.requests[0]!.body.model).toBe("fake-reasoner");
  });

  it("marks fallback summaries and shows empty reasoning as (no reasoning)", async () => {
    const script = happyScript({ reasoningText: "", reasoningSource: "empty" });
    script[0] = { event: "summary.prompt", data: { request_id: id, text: "Bat and ball.", source: "fallback" } };
    const g = await gateway({ sse: script });
    const r = await run(["--url", g.url]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Bat and ball. (fallback summary)");
    expect(r.out).toContain(`${HEADINGS.reasoning}\n(no reasoning)\n`);
  });

  it("prints an error event and keeps reading: a summary error followed by its fallback still exits 0", async () => {
    const script = happyScript();
    script.splice(
      0,
      1,
      { event: "error", data: { request_id: id, stage: "prompt_summary", message: "summary timed out", code: "timeout", retryable: true } },
      { event: "summary.prompt", data: { request_id: id, text: "Bat and ball.", source: "fallback" } },
    );
    const g = await gateway({ sse: script });
    const r = await run(["--url", g.url]);
    expect(r.code).toBe(0);
    expect(r.err).toContain("error [prompt_summary]: summary timed out (timeout, retryable)");
    expect(r.out).toContain("(fallback summary)");
    expect(r.out).toContain("[done]");
  });

  it("colours the error red unless --no-color", async () => {
    const error = { event: "error", data: { request_id: id, stage: "reasoning_summary", message: "boom", code: "x", retryable: false } };
    const g = await gateway({ sse: [error, ...happyScript()] });
    const coloured = await run(["--url", g.url], { env: { FORCE_COLOR: "1" } });
    expect(coloured.err).toContain("\u001b[31merror [reasoning_summary]: boom");
    const plain = await run(["--url", g.url, "--no-color"], { env: { FORCE_COLOR: "1" } });
    expect(plain.err).toContain("error [reasoning_summary]: boom");
    expect(plain.err + plain.out).not.toContain("\u001b[");
  });

  it("exits 1 when the stream ends after an upstream error without output.done", async () => {
    const script = happyScript().slice(0, 3);
    script.push({ event: "error", data: { request_id: id, stage: "upstream", message: "upstream reset", code: "upstream_error", retryable: false } });
    const g = await gateway({ sse: script });
    const r = await run(["--url", g.url]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("The ball costs ");
    expect(r.err).toContain("error [upstream]: upstream reset");
  });

  it("exits 1 with a message when the stream just ends without output.done", async () => {
    const g = await gateway({ sse: happyScript().slice(0, 2) });
    const r = await run(["--url", g.url]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: the stream ended before output.done");
  });

  it("warns about a malformed event and carries on", async () => {
    const g = await gateway({ sse: [{ raw: "event: summary.prompt\ndata: {not json\n\n" }, { raw: "event: future.thing\ndata: {}\n\n" }, ...happyScript()] });
    const r = await run(["--url", g.url]);
    expect(r.code).toBe(0);
    expect(r.err).toContain("warning: ignored a malformed summary.prompt event (data is not JSON)");
    expect(r.err).not.toContain("future.thing");
  });

  it("draws a spinner only when both stdout and stderr are terminals", async () => {
    const g = await gateway({ sse: [{ delayMs: 150 }, ...happyScript()] });
    const tty = await run(["--url", g.url], { ttyErr: true, ttyOut: true });
    expect(tty.err).toContain("waiting for the prompt summary");
    // `staged-client … > answer.txt`: stderr is still the terminal, but nobody watches it spin.
    const redirected = await run(["--url", g.url], { ttyErr: true, ttyOut: false });
    expect(redirected.err).toBe("");
    const piped = await run(["--url", g.url], { ttyOut: true });
    expect(piped.err).toBe("");
    const json = await run(["--url", g.url, "--json"], { ttyErr: true, ttyOut: true });
    expect(json.err).toBe("");
  });
});

describe("client: --json", () => {
  it("prints one JSON line per event, data exactly as sent", async () => {
    const script = happyScript();
    const g = await gateway({ sse: script });
    const r = await run(["--url", g.url, "--json"]);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.out);
    expect(lines.map((l) => l.event)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.delta", "output.done"]);
    expect(lines).toEqual(script.map((s) => ("event" in s ? { event: s.event, data: s.data } : undefined)));
    expect(r.out).not.toContain("===");
  });

  it("reports client failures as a client.error line", async () => {
    const g = await gateway({ status: 403, json: { error: { message: "model x is not allowed", type: "forbidden", code: "model_not_allowed" } } });
    const r = await run(["--url", g.url, "--json", "--model", "x"]);
    expect(r.code).toBe(1);
    expect(jsonLines(r.out)).toEqual([{ event: "client.error", data: expect.objectContaining({ kind: "http", status: 403, code: "model_not_allowed" }) }]);
  });
});
