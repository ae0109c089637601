/**
 * The events beyond the three sections, scripted on the fake gateway: progress summaries under
 * section 2, research sources, tool calls assembled from fragments, and upstream retries.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HEADINGS } from "../../../client/render.js";
import { formatRetry } from "../../../client/render-parts.js";
import { happyScript, REQUEST_ID, startFakeGateway, type FakeGateway, type Step } from "./fake-gateway.js";
import { jsonLines, run } from "./helpers.js";

let gw: FakeGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const id = REQUEST_ID;
const [promptSummary, reasoningSummary, delta1, delta2, done] = happyScript() as [Step, Step, Step, Step, Step];
const progress = (index: number, text: string): Step => ({ event: "summary.progress", data: { request_id: id, index, text, source: "model" } });
const retry = (attempt: number, code = "endpoint_unavailable", message = "Endpoint is unavailable (AWAKING)"): Step => ({
  event: "upstream.retry",
  data: { request_id: id, provider: "upstream", attempt, max_retries: 3, delay_ms: 1500, code, message },
});

describe("client: progress summaries", () => {
  it("prints them under section 2 as they arrive, then the reasoning summary, heading once", async () => {
    gw = await startFakeGateway({
      sse: [promptSummary, progress(0, "Setting up the equation."), progress(1, "Solving for x."), reasoningSummary, delta1, delta2, done],
    });
    const r = await run(["--url", gw.url]);
    expect(r.code).toBe(0);
    expect(r.out.split(HEADINGS.reasoning)).toHaveLength(2);
    expect(r.out).toContain(`${HEADINGS.reasoning}\n… Setting up the equation.\n… Solving for x.\n- set up x + (x + 1) = 1.10\n\n${HEADINGS.output}\n`);
    expect(r.out.indexOf(HEADINGS.prompt)).toBeLessThan(r.out.indexOf(HEADINGS.reasoning));
  });

  it("are JSON lines in --json, in arrival order", async () => {
    gw = await startFakeGateway({ sse: [promptSummary, progress(0, "Step one."), reasoningSummary, delta1, delta2, done] });
    const r = await run(["--url", gw.url, "--json"]);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.out);
    expect(lines.map((l) => l.event)).toEqual(["summary.prompt", "summary.progress", "summary.reasoning", "output.delta", "output.delta", "output.done"]);
    expect(lines[1]!.data).toEqual({ request_id: id, index: 0, text: "Step one.", source: "model" });
  });
});

describe("client: research sources", () => {
  it("prints a numbered source list", async () => {
    const sources = [
      { index: 1, title: "Rayleigh scattering", url: "https://example.org/rayleigh", snippet: "…" },
      { index: 2, title: "", url: "https://example.org/sky", snippet: "" },
    ];
    gw = await startFakeGateway({
      sse: [
        promptSummary,
        { event: "research.sources", data: { request_id: id, query: "why is the sky blue", sources } },
        reasoningSummary,
        delta1,
        delta2,
        done,
      ],
    });
    const r = await run(["--url", gw.url]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'Sources for "why is the sky blue":\n  [1] Rayleigh scattering — https://example.org/rayleigh\n  [2] https://example.org/sky — https://example.org/sky\n',
    );
    expect(r.out.indexOf("Sources for")).toBeLessThan(r.out.indexOf(HEADINGS.reasoning));
  });
});

describe("client: tool calls", () => {
  it("assembles streamed fragments into whole calls under section 3", async () => {
    const toolCalls = (tool_calls: unknown[]): Step => ({ event: "output.tool_calls", data: { request_id: id, tool_calls } });
    gw = await startFakeGateway({
      sse: [
        promptSummary,
        reasoningSummary,
        toolCalls([{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }]),
        toolCalls([
          { index: 0, function: { arguments: '{"city":' } },
          { index: 1, id: "call_2", type: "function", function: { name: "get_time", arguments: "{}" } },
        ]),
        toolCalls([{ index: 0, function: { arguments: '"Paris"}' } }]),
        {
          event: "output.done",
          data: {
            request_id: id,
            finish_reason: "tool_calls",
            timings: { prompt_summary: 1, reasoning_end: 2, reasoning_summary: 3, first_output: 4, total: 5 },
          },
        },
      ],
    });
    const r = await run(["--url", gw.url]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `${HEADINGS.output}\n(no text, only tool calls)\ntool calls:\n  get_weather({"city":"Paris"})  id call_1\n  get_time({})  id call_2\n[done]\n`,
    );
    expect(r.out).toContain("finish tool_calls");
  });
});

describe("client: upstream retries", () => {
  it("says the endpoint is warming up, with the retry count, instead of waiting silently", async () => {
    gw = await startFakeGateway({ sse: [promptSummary, retry(1), retry(2), reasoningSummary, delta1, delta2, done] });
    const r = await run(["--url", gw.url]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("↻ endpoint warming up, retry 1/3 in 1.5 s (upstream)\n↻ endpoint warming up, retry 2/3 in 1.5 s (upstream)\n");
    expect(r.out).toContain("[done]");
    const json = await run(["--url", gw.url, "--json"]);
    expect(
      jsonLines(json.out)
        .filter((l) => l.event === "upstream.retry")
        .map((l) => l.data.attempt),
    ).toEqual([1, 2]);
    expect(json.err).toBe("");
  });

  it.each([
    ["upstream_rate_limited", "Too many requests", "upstream rate limited, retry 2/3 in 1.5 s"],
    ["upstream_timeout", "no headers within 60 s", "upstream timed out, retry 2/3 in 1.5 s"],
    ["upstream_unreachable", "ECONNREFUSED", "upstream unreachable, retry 2/3 in 1.5 s"],
    ["upstream_server_error", "internal error", "upstream failed (upstream_server_error), retry 2/3 in 1.5 s"],
    ["upstream_server_error", "Endpoint is unavailable", "endpoint warming up, retry 2/3 in 1.5 s"],
  ])("%s / %s", (code, message, expected) => {
    const step = retry(2, code, message) as { data: Parameters<typeof formatRetry>[0] };
    expect(formatRetry(step.data)).toBe(expected);
  });
});

describe("client: the prompt and the gateway URL", () => {
  it("takes a bare prompt, quoted or as words", async () => {
    gw = await startFakeGateway({ sse: happyScript() });
    expect((await run(["--url", gw.url, "Why is the sky blue?"])).code).toBe(0);
    expect((await run(["--url", gw.url, "Why", "is", "the", "sky", "blue?"])).code).toBe(0);
    const sent = gw.requests.map((q) => (q.body.messages as { content: string }[]).at(-1)?.content);
    expect(sent).toEqual(["Why is the sky blue?", "Why is the sky blue?"]);
  });

  it("without GATEWAY_URL, finds the gateway where HOST and PORT (from the environment or .env) put it", async () => {
    gw = await startFakeGateway({ sse: happyScript() });
    const port = new URL(gw.base).port;
    expect((await run(["hi"], { env: { PORT: port } })).code).toBe(0);
    expect((await run(["hi"], { env: { PORT: port, HOST: "0.0.0.0" } })).code).toBe(0);
    expect(gw.requests).toHaveLength(2);
  });

  it.each([
    ["a base URL", (g: FakeGateway) => g.base],
    ["a base URL with a slash", (g: FakeGateway) => `${g.base}/`],
    ["a /v1 base", (g: FakeGateway) => `${g.base}/v1`],
    ["the full chat URL", (g: FakeGateway) => g.url],
  ])("GATEWAY_URL may be %s", async (_label, url) => {
    gw = await startFakeGateway({ sse: happyScript() });
    const r = await run(["hi"], { env: { GATEWAY_URL: url(gw) } });
    expect(r.code).toBe(0);
    expect(gw.requests).toHaveLength(1);
  });
});
