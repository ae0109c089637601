import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_REASONING_TEXT, parseMockEnv, startMockUpstream, type DeepPartial, type MockOptions, type RunningMock } from "../../mock-upstream/index.js";
import { SETTLE_MS } from "../helpers/bounds.js";

let running: RunningMock;

async function start(options: DeepPartial<MockOptions> = {}): Promise<RunningMock> {
  running = await startMockUpstream(options);
  return running;
}

afterEach(async () => {
  await running?.close();
});

function post(path: string, body: unknown, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${running.baseUrl}${path}`, {
    ...init,
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: JSON.stringify(body),
  });
}

function chat(model: string, extra: Record<string, unknown> = {}, init: RequestInit & { headers?: Record<string, string> } = {}) {
  return post("/chat/completions", { model, stream: true, messages: [{ role: "user", content: "Why is the sky blue?" }], ...extra }, init);
}

interface Chunk {
  object: string;
  choices: { delta: Record<string, string | undefined>; finish_reason: string | null }[];
  usage?: { total_tokens: number };
}
interface Completion {
  object: string;
  choices: { message: Record<string, string>; finish_reason: string }[];
}
interface ErrorBody {
  error: { message: string; type: string; code: string };
}

/** Read a JSON body as the shape the test expects; the assertions check it. */
async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** The `data:` payloads of an SSE body, in order (`[DONE]` kept as the raw string). */
function dataLines(text: string): string[] {
  return text
    .split("\n\n")
    .map((frame) => frame.trim())
    .filter((frame) => frame.startsWith("data: "))
    .map((frame) => frame.slice("data: ".length));
}

function parseChunks(lines: string[]): Chunk[] {
  return lines.filter((l) => l !== "[DONE]").map((l) => JSON.parse(l) as Chunk);
}

function assemble(chunks: Chunk[]): { content: string; reasoning: string; reasoningField: string } {
  let content = "";
  let reasoning = "";
  let reasoningField = "";
  for (const c of chunks) {
    const delta = c.choices?.[0]?.delta ?? {};
    content += delta.content ?? "";
    for (const field of ["reasoning_content", "reasoning"]) {
      if (typeof delta[field] === "string") {
        reasoning += delta[field];
        reasoningField = field;
      }
    }
  }
  return { content, reasoning, reasoningField };
}

const R = "First I compare the options. Then I pick the cheaper one.";
const A = "Pick the cheaper option.";

describe("scenarios", () => {
  beforeEach(async () => {
    await start({ reasoningText: R, answerText: A });
  });

  const expected: Record<string, { content: string; reasoning: string; field?: string }> = {
    tagged: { content: `<analysis>${R}</analysis>\n<final>${A}</final>`, reasoning: "" },
    think: { content: `<think>${R}</think>\n\n${A}`, reasoning: "" },
    r1: { content: `${R}\n</think>\n\n${A}`, reasoning: "" },
    reasoning_content: { content: A, reasoning: R, field: "reasoning_content" },
    reasoning: { content: A, reasoning: R, field: "reasoning" },
    plain: { content: A, reasoning: "" },
  };

  for (const [scenario, want] of Object.entries(expected)) {
    it(`streams ${scenario} in OpenAI chunk format`, async () => {
      const res = await chat(`mock-${scenario}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const lines = dataLines(await res.text());
      expect(lines.at(-1)).toBe("[DONE]");
      const chunks = parseChunks(lines);
      expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant" });
      expect(chunks[0]!.object).toBe("chat.completion.chunk");
      const usage = chunks.at(-1)!;
      expect(usage.choices).toEqual([]);
      expect(usage.usage!.total_tokens).toBeGreaterThan(0);
      const contentChunks = chunks.slice(1, -1);
      expect(contentChunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
      expect(contentChunks.slice(0, -1).every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
      const got = assemble(chunks);
      expect(got.content).toBe(want.content);
      expect(got.reasoning).toBe(want.reasoning);
      if (want.field) expect(got.reasoningField).toBe(want.field);
      expect(running.mock.calls[0]).toMatchObject({ kind: "chat", stream: true, outcome: "completed", status: 200 });
      expect(running.mock.calls[0]!.chunksSent).toBe(chunks.length);
    });
  }

  it("splits tags across chunks at the configured size", async () => {
    running.mock.configure({ chunkChars: 5, reasoningText: "abc", answerText: "xyz" });
    const chunks = parseChunks(dataLines(await (await chat("mock-tagged")).text()));
    const pieces = chunks.map((c) => c.choices[0]?.delta?.content).filter((t): t is string => typeof t === "string");
    expect(pieces.join("")).toBe("<analysis>abc</analysis>\n<final>xyz</final>");
    expect(pieces.slice(0, -1).every((p) => p.length === 5)).toBe(true);
    expect(pieces).toContain("<anal");
    expect(pieces.some((p) => p.includes("</analysis>"))).toBe(false);
  });

  it("picks the scenario by header, then model suffix, then default", async () => {
    const viaHeader = assemble(parseChunks(dataLines(await (await chat("mock-plain", {}, { headers: { "x-mock-scenario": "reasoning" } })).text())));
    expect(viaHeader.reasoningField).toBe("reasoning");
    const viaModel = assemble(parseChunks(dataLines(await (await chat("deepseek-r1")).text())));
    expect(viaModel.content.startsWith(R)).toBe(true);
    const viaDefault = assemble(parseChunks(dataLines(await (await chat("some-model")).text())));
    expect(viaDefault.content.startsWith("<analysis>")).toBe(true);
  });

  it("answers main chat calls from the scripts queue, one script per call, then falls back to script or scenario", async () => {
    const mine = [[{ delta: { content: "not json" }, finish_reason: "stop" }], [{ delta: { content: "{}" }, finish_reason: "stop" }]];
    running.mock.configure({ scripts: mine, script: [{ delta: { content: "after the queue" }, finish_reason: "stop" }] });
    const contents: string[] = [];
    // A refused call takes no script.
    running.mock.configure({ faults: { fail: { times: 1 } } });
    expect((await chat("mock-plain")).status).toBe(503);
    for (let i = 0; i < 3; i++) contents.push(assemble(parseChunks(dataLines(await (await chat("mock-plain")).text()))).content);
    expect(contents).toEqual(["not json", "{}", "after the queue"]);
    // Setting the queue again restarts it, and the caller's array is untouched.
    expect(mine).toHaveLength(2);
    running.mock.configure({ scripts: mine, script: null });
    const again = await json<Completion>(await chat("mock-plain", { stream: false }));
    expect(again.choices[0]!.message.content).toBe("not json");
    const patched = await fetch(`http://127.0.0.1:${running.port}/_mock/config`, {
      method: "POST",
      body: JSON.stringify({ scripts: [[{ delta: { content: "via http" } }]] }),
    });
    expect(patched.status).toBe(200);
    expect(assemble(parseChunks(dataLines(await (await chat("mock-plain")).text()))).content).toBe("via http");
  });

  it("answers non-streamed chat with a chat.completion", async () => {
    const res = await chat("mock-reasoning_content", { stream: false });
    const body = await json<Completion>(res);
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]!.message).toEqual({ role: "assistant", content: A, reasoning_content: R });
    expect(running.mock.calls[0]).toMatchObject({ kind: "chat", stream: false, outcome: "completed" });
  });

  it("records the body and lower-cased headers as received, on any chat path", async () => {
    const res = await fetch(`http://127.0.0.1:${running.port}/serverless/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer k", "X-Extra": "1" },
      body: JSON.stringify({ model: "mock-plain", stream: true, messages: [{ role: "user", content: "hi" }], custom_field: 7 }),
    });
    await res.text();
    const call = running.mock.calls[0]!;
    expect(call.path).toBe("/serverless/v1/chat/completions");
    expect(call.body).toEqual({ model: "mock-plain", stream: true, messages: [{ role: "user", content: "hi" }], custom_field: 7 });
    expect(call.headers.authorization).toBe("Bearer k");
    expect(call.headers["x-extra"]).toBe("1");
  });

  it("lists the scenario models and rejects bad bodies with OpenAI errors", async () => {
    const models = await json<{ data: { id: string }[] }>(await fetch(`${running.baseUrl}/models`));
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining(["mock-tagged", "mock-think", "mock-r1", "mock-plain"]));
    const bad = await post("/chat/completions", { messages: [] });
    expect(bad.status).toBe(400);
    expect((await json<ErrorBody>(bad)).error).toMatchObject({ type: "invalid_request_error" });
    const missing = await fetch(`http://127.0.0.1:${running.port}/nope`);
    expect(missing.status).toBe(404);
  });
});

const PROMPT_INSTRUCTION = "Summarize what the user is asking in one or two sentences.";
const REASONING_INSTRUCTION = "Summarise this reasoning as 2-3 short bullet points.";

function summaryCall(instruction: string, text: string) {
  return post("/chat/completions", {
    model: "mock-plain",
    stream: false,
    messages: [
      { role: "system", content: instruction },
      { role: "user", content: text },
    ],
  });
}

describe("summaries", () => {
  beforeEach(async () => {
    await start();
  });

  it.each([
    [
      "Why is the sky blue, and not violet, even though violet light has the shorter wavelength? Answer in one short paragraph.",
      "Asks why the sky is blue — touching on violet, shorter and wavelength; one short paragraph wanted.",
    ],
    ["Why is the sky blue?", "Asks why the sky is blue."],
    [
      "I run a small online bakery. Our website checkout is slow during holiday sales. Customers abandon the checkout when the payment page takes ten seconds. How can I make the checkout payment page faster? We use a shared hosting plan.",
      "Asks how to make the checkout payment page faster — touching on website, holiday and customers.",
    ],
    ["Plan a 3-day trip to Kyoto.", "Wants a plan for a 3-day trip to Kyoto."],
    ["Summarise the causes of World War I.", "Wants a summary of the causes of World War I."],
    ["What is the capital of France?", "Asks what the capital of France is."],
    ["Why does ice float on water?", "Asks why ice floats on water."],
    [
      "A bat and a ball cost $1.10 in total. The bat costs $1.00 more than the ball. How much does the ball cost?",
      "Asks how much the ball costs — touching on bat and total.",
    ],
    ["Write a haiku about autumn in three lines.", "Wants a haiku about autumn in three lines."],
  ])("summarises the prompt as a restatement, not the question repeated: %s", async (text, expected) => {
    const body = await json<Completion>(await summaryCall(PROMPT_INSTRUCTION, text));
    const summary = body.choices[0]!.message.content!;
    expect(summary).toBe(expected);
    expect(summary).not.toContain(text);
    expect(summary).not.toContain("Summarize");
    expect(running.mock.calls[0]).toMatchObject({ kind: "prompt_summary", stream: false, outcome: "completed" });
  });

  it("gives 2-3 bullets drawn from the reasoning", async () => {
    const body = await json<Completion>(await summaryCall(REASONING_INSTRUCTION, DEFAULT_REASONING_TEXT));
    const lines = body.choices[0]!.message.content!.split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(3);
    for (const line of lines) {
      expect(line.startsWith("- ")).toBe(true);
      expect(DEFAULT_REASONING_TEXT).toContain(line.slice(2));
    }
    expect(running.mock.calls[0]!.kind).toBe("reasoning_summary");
  });

  it("applies summary latency", async () => {
    running.mock.configure({ latency: { promptSummaryMs: 150 } });
    const t0 = performance.now();
    await json<Completion>(await summaryCall(PROMPT_INSTRUCTION, "Why?"));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe("faults", () => {
  beforeEach(async () => {
    await start({ chunkChars: 40 });
  });

  it("fails the first N stream calls, with Retry-After on 429, then recovers", async () => {
    running.mock.configure({ faults: { fail: { status: 429, times: 2, retryAfterSeconds: 2 } } });
    // Summary calls do not use up a "stream" fault.
    expect((await summaryCall(PROMPT_INSTRUCTION, "Why?")).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await chat("mock-plain");
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("2");
      expect((await json<ErrorBody>(res)).error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    }
    expect((await chat("mock-plain")).status).toBe(200);
    expect(running.mock.calls.map((c) => c.outcome)).toEqual(["completed", "failed", "failed", "completed"]);
  });

  it("fails summary targets only", async () => {
    running.mock.configure({ faults: { fail: { status: 500, times: Infinity, target: "reasoning_summary", message: "boom" } } });
    const res = await summaryCall(REASONING_INSTRUCTION, DEFAULT_REASONING_TEXT);
    expect(res.status).toBe(500);
    expect((await json<ErrorBody>(res)).error.message).toBe("boom");
    expect((await summaryCall(PROMPT_INSTRUCTION, "Why?")).status).toBe(200);
    expect((await chat("mock-plain")).status).toBe(200);
  });

  it("drops the connection after N chunks", async () => {
    running.mock.configure({ faults: { dropAfterChunks: 3 } });
    const res = await chat("mock-tagged");
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          text += decoder.decode(value, { stream: true });
        }
      })(),
    ).rejects.toThrow();
    expect(dataLines(text)).toHaveLength(3);
    expect(text).not.toContain("[DONE]");
    await running.mock.waitFor((calls) => calls[0]?.outcome === "dropped");
    expect(running.mock.calls[0]!.chunksSent).toBe(3);
  });

  it("sends an in-stream error after N chunks", async () => {
    running.mock.configure({ faults: { errorAfterChunks: 2 } });
    const lines = dataLines(await (await chat("mock-tagged")).text());
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!)).toEqual({ error: { message: "mock in-stream failure", type: "server_error", code: "mock_error" } });
    expect(running.mock.calls[0]!.outcome).toBe("failed");
  });

  it("sends finish_reason error after N chunks", async () => {
    running.mock.configure({ faults: { finishErrorAfterChunks: 2 } });
    const lines = dataLines(await (await chat("mock-tagged")).text());
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!).choices[0].finish_reason).toBe("error");
  });

  it("omits [DONE] when asked", async () => {
    running.mock.configure({ faults: { omitDone: true } });
    const lines = dataLines(await (await chat("mock-plain")).text());
    expect(lines.at(-1)).not.toBe("[DONE]");
    expect(running.mock.calls[0]!.outcome).toBe("completed");
  });

  it("stalls after N chunks until the client goes away", async () => {
    running.mock.configure({ faults: { stallAfterChunks: 2 } });
    const ac = new AbortController();
    const res = await chat("mock-tagged", {}, { signal: ac.signal });
    await running.mock.waitFor((calls) => calls[0]?.chunksSent === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(running.mock.calls[0]!.outcome).toBe("pending");
    ac.abort();
    await expect(res.text()).rejects.toThrow();
    await running.mock.waitFor((calls) => calls[0]?.outcome === "aborted", SETTLE_MS);
    expect(running.mock.calls[0]!.chunksSent).toBe(2);
  });

  it("stalls summary calls until the client aborts", async () => {
    running.mock.configure({ faults: { stallSummaries: "prompt" } });
    expect((await summaryCall(REASONING_INSTRUCTION, "One. Two. Three.")).status).toBe(200);
    const ac = new AbortController();
    const pending = post(
      "/chat/completions",
      {
        model: "m",
        stream: false,
        messages: [
          { role: "system", content: PROMPT_INSTRUCTION },
          { role: "user", content: "Why?" },
        ],
      },
      { signal: ac.signal },
    ).catch((e: unknown) => e);
    await running.mock.waitFor((calls) => calls.length === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(running.mock.calls[1]).toMatchObject({ kind: "prompt_summary", outcome: "pending", status: 0 });
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    await running.mock.waitFor((calls) => calls[1]?.outcome === "aborted", SETTLE_MS);
  });

  it("delays headers by headersMs", async () => {
    running.mock.configure({ latency: { headersMs: 150 } });
    const t0 = performance.now();
    const res = await chat("mock-plain");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    await res.text();
  });
});

describe("abort detection", () => {
  it("marks a stream aborted promptly when the client goes away mid-stream", async () => {
    await start({ latency: { reasoningChunkMs: 50, answerChunkMs: 50 } });
    const ac = new AbortController();
    const res = await chat("mock-reasoning_content", {}, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    ac.abort();
    const abortedAt = performance.now();
    await running.mock.waitFor((calls) => calls[0]?.outcome === "aborted", SETTLE_MS);
    const call = running.mock.calls[0]!;
    expect(call.endedAt! - abortedAt).toBeLessThan(1000);
    const sent = call.chunksSent;
    await new Promise((r) => setTimeout(r, 200));
    expect(call.chunksSent).toBe(sent);
  });

  it("notices an abort during the headers delay", async () => {
    await start({ latency: { headersMs: 5000 } });
    const ac = new AbortController();
    const pending = chat("mock-plain", {}, { signal: ac.signal }).catch((e: unknown) => e);
    await running.mock.waitFor((calls) => calls.length === 1);
    ac.abort();
    await pending;
    await running.mock.waitFor((calls) => calls[0]?.outcome === "aborted", SETTLE_MS);
  });

  it("leaves no timers behind after close()", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    await start({ latency: { reasoningChunkMs: 10_000, promptSummaryMs: 10_000 } });
    const streamed = chat("mock-reasoning")
      .then((r) => r.text())
      .catch((e: unknown) => e);
    const summary = summaryCall(PROMPT_INSTRUCTION, "Why?").catch((e: unknown) => e);
    await running.mock.waitFor((calls) => calls.length === 2 && calls.every((c) => c.status === 200 || c.kind !== "chat"));
    await running.close();
    await Promise.all([streamed, summary]);
    expect(running.mock.calls.map((c) => c.outcome)).toEqual(["aborted", "aborted"]);
    await new Promise((r) => setTimeout(r, 20));
    expect(timers()).toBeLessThanOrEqual(before);
  });
});

describe("control", () => {
  it("configures, lists and resets over HTTP", async () => {
    await start();
    const bad = await fetch(`http://127.0.0.1:${running.port}/_mock/config`, { method: "POST", body: JSON.stringify({ latency: { headersMs: -1 }, nope: 1 }) });
    expect(bad.status).toBe(400);
    const msg = (await json<ErrorBody>(bad)).error.message;
    expect(msg).toContain("latency.headersMs");
    expect(msg).toContain("nope");
    const ok = await fetch(`http://127.0.0.1:${running.port}/_mock/config`, {
      method: "POST",
      body: JSON.stringify({ scenario: "plain", faults: { fail: { status: 502, times: null } } }),
    });
    expect(ok.status).toBe(200);
    expect(running.mock.options.faults.fail).toEqual({ status: 502, times: Infinity });
    expect((await chat("x")).status).toBe(502);
    const listed = await json<{ calls: unknown[] }>(await fetch(`http://127.0.0.1:${running.port}/_mock/calls`));
    expect(listed.calls).toHaveLength(1);
    await fetch(`http://127.0.0.1:${running.port}/_mock/reset`, { method: "POST" });
    expect(running.mock.calls).toHaveLength(0);
    expect(running.mock.options.scenario).toBe("plain");
  });

  it("waitFor rejects on timeout", async () => {
    await start();
    await expect(running.mock.waitFor(() => false, 50)).rejects.toThrow(/timed out/);
  });
});

describe("parseMockEnv", () => {
  it("uses demo defaults and maps MOCK_FAIL_FIRST", () => {
    const parsed = parseMockEnv({ MOCK_FAIL_FIRST: "3", MOCK_SCENARIO: "think", MOCK_HOST: "" });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({ port: 8001, host: "127.0.0.1" });
    expect(parsed.value.options).toMatchObject({ scenario: "think", faults: { fail: { status: 503, times: 3, target: "stream" } } });
    expect(parsed.value.options.latency?.reasoningChunkMs).toBeGreaterThan(0);
  });

  it("reports every bad variable together", () => {
    const parsed = parseMockEnv({ MOCK_PORT: "abc", MOCK_SCENARIO: "nope", MOCK_ANSWER_CHUNK_MS: "-5" });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((p) => p.split(":")[0])).toEqual(["MOCK_PORT", "MOCK_SCENARIO", "MOCK_ANSWER_CHUNK_MS"]);
  });
});
