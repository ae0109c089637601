import { describe, expect, it } from "vitest";
import { createCollector } from "../../../src/pipeline/index.js";
import { UpstreamError } from "../../../src/upstream/index.js";
import { RequestEnded } from "../../../src/util/index.js";
import { deferred, delta, fakes, recordingSink, request, runStaged } from "./fakes.js";

const reasoningThenAnswer = (answerPieces: number) => [
  delta({ reasoning: "thinking hard" }),
  ...Array.from({ length: answerPieces }, (_, i) => delta({ content: `part${i} ` })),
  delta({ finishReason: "stop" }),
];

describe("runStaged", () => {
  it("emits the staged order and the answer exactly", async () => {
    const f = fakes(reasoningThenAnswer(3));
    const { sink, events } = recordingSink();
    await runStaged(request(), f.deps, sink, new AbortController().signal);
    const order = events.map((e) => e.event).filter((n, i, all) => !(n === "output.delta" && all[i - 1] === "output.delta"));
    expect(order).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.done"]);
    const answer = events.flatMap((e) => (e.event === "output.delta" ? [e.data.text] : [])).join("");
    expect(answer).toBe("part0 part1 part2 ");
  });

  it("stops pulling from the upstream while held output is at its cap, and loses nothing once the summary is out", async () => {
    const f = fakes(reasoningThenAnswer(50), { maxHeldChars: 20, holdReasoningSummary: true });
    const { sink, events } = recordingSink();
    const run = runStaged(request(), f.deps, sink, new AbortController().signal);
    // Let the pipeline run as far as it can while the reasoning summary is held back.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    // 1 reasoning delta + answer deltas up to the 20-character cap (each is 6–7 characters).
    expect(f.pulled()).toBeLessThanOrEqual(5);
    f.releaseReasoningSummary();
    await run;
    expect(f.pulled()).toBe(52);
    const answer = events.flatMap((e) => (e.event === "output.delta" ? [e.data.text] : [])).join("");
    expect(answer).toBe(Array.from({ length: 50 }, (_, i) => `part${i} `).join(""));
  });

  it("waits on the sink's backpressure before reading on", async () => {
    const f = fakes(reasoningThenAnswer(10));
    let open = deferred();
    let waits = 0;
    const { sink, events } = recordingSink({
      ready: () => {
        waits++;
        return open.promise;
      },
    });
    const run = runStaged(request(), f.deps, sink, new AbortController().signal);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    // Blocked on the first wait: nothing more was read.
    expect(f.pulled()).toBe(1);
    const release = () => {
      const current = open;
      open = deferred();
      current.resolve();
    };
    while (f.pulled() < 12) {
      release();
      await new Promise((r) => setImmediate(r));
    }
    release();
    await run;
    expect(waits).toBeGreaterThanOrEqual(11);
    expect(events.at(-1)?.event).toBe("output.done");
  });

  it("tool calls end reasoning and are ordered with the answer, after summary.reasoning", async () => {
    const f = fakes([
      delta({ reasoning: "call a tool" }),
      delta({ content: "Let me check. " }),
      delta({ toolCalls: [{ index: 0, id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] }),
      delta({ finishReason: "tool_calls" }),
    ]);
    const { sink, events } = recordingSink();
    await runStaged(request(), f.deps, sink, new AbortController().signal);
    expect(events.map((e) => e.event)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.tool_calls", "output.done"]);
    expect(events.at(-1)).toMatchObject({ data: { finish_reason: "tool_calls" } });
  });

  it("collects tool calls into whole calls for stream:false", async () => {
    const f = fakes([
      delta({ toolCalls: [{ index: 0, id: "c1", type: "function", function: { name: "lookup", arguments: '{"q":' } }] }),
      delta({ toolCalls: [{ index: 0, function: { arguments: '"x"}' } }] }),
    ]);
    const { sink, result } = createCollector();
    await runStaged(request({ stream: false }), f.deps, sink, new AbortController().signal);
    expect(result.toolCalls).toEqual([{ id: "c1", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }]);
    expect(result.finishReason).toBe("tool_calls");
  });

  it("REQUEST_DEADLINE ends a request that runs too long with deadline_exceeded", async () => {
    const never = new Promise<void>(() => undefined);
    const f = fakes([delta({ reasoning: "thinking" })], { deadlineMs: 30 });
    f.deps.client.stream = async (_t, _b, signal) => ({
      attempts: 1,
      deltas: (async function* () {
        yield delta({ reasoning: "thinking forever" });
        await Promise.race([
          never,
          new Promise((_, reject) => signal.addEventListener("abort", () => reject(new UpstreamError({ kind: "aborted", message: "stop", retryable: false })))),
        ]);
      })(),
    });
    const { sink, failures } = recordingSink();
    await runStaged(request(), f.deps, sink, new AbortController().signal);
    expect(failures).toEqual([expect.objectContaining({ status: 504, code: "deadline_exceeded" })]);
  });

  it("shutdown ends running requests through the inflight registry with shutting_down", async () => {
    const f = fakes([delta({ reasoning: "thinking" })]);
    f.deps.client.stream = async (_t, _b, signal) => ({
      attempts: 1,
      deltas: (async function* () {
        yield delta({ reasoning: "thinking" });
        await new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new UpstreamError({ kind: "aborted", message: "stop", retryable: false }))),
        );
      })(),
    });
    const { sink, failures } = recordingSink();
    const run = runStaged(request(), f.deps, sink, new AbortController().signal);
    await new Promise((r) => setImmediate(r));
    expect(f.deps.inflight?.size).toBe(1);
    f.deps.inflight?.abortAll(new RequestEnded("shutting_down", "bye", 503, true));
    await run;
    expect(failures).toEqual([expect.objectContaining({ code: "shutting_down", status: 503, retryable: true })]);
    expect(f.deps.inflight?.size).toBe(0);
  });

  it("an upstream 4xx before anything was sent is the upstream's own status and message", async () => {
    const f = fakes([], { openError: new UpstreamError({ kind: "http", status: 422, message: "max_tokens too large", retryable: false }) });
    const { sink, failures } = recordingSink();
    await runStaged(request(), f.deps, sink, new AbortController().signal);
    expect(failures).toEqual([expect.objectContaining({ status: 422, message: "max_tokens too large" })]);
  });
});

describe("research mode in the pipeline", () => {
  const source = { index: 1, title: "Rayleigh scattering", url: "https://example.org/rayleigh", snippet: "Short wavelengths scatter more." };

  it("sources come after summary.prompt and before the reasoning summary, and reach the upstream in a system message", async () => {
    const f = fakes(reasoningThenAnswer(1));
    f.deps.research = { run: async () => ({ ok: true, query: "why is the sky blue", sources: [source], instruction: "Cite the sources as [n]." }) };
    const { sink, events } = recordingSink();
    await runStaged(request({ research: {} }), f.deps, sink, new AbortController().signal);
    const order = events.map((e) => e.event).filter((n, i, all) => !(n === "output.delta" && all[i - 1] === "output.delta"));
    expect(order).toEqual(["summary.prompt", "research.sources", "summary.reasoning", "output.delta", "output.done"]);
    expect(events.at(-1)).toMatchObject({ data: { sources: [source] } });
    // (In auto mode the tag instruction is merged into the same system message, after it.)
    expect((f.bodies[0]?.messages as { role: string; content: string }[])[0]).toEqual({
      role: "system",
      content: expect.stringMatching(/^Cite the sources as \[n\]\./),
    });
  });

  it("a failed search is an error event with stage research, and the answer is made without sources", async () => {
    const f = fakes(reasoningThenAnswer(1));
    f.deps.research = {
      run: async () => ({ ok: false, query: "q", failure: { message: "search timed out after 5 s", code: "research_timeout", retryable: true } }),
    };
    const { sink, events } = recordingSink();
    await runStaged(request({ research: {} }), f.deps, sink, new AbortController().signal);
    expect(events.find((e) => e.event === "error")).toMatchObject({ data: { stage: "research", code: "research_timeout" } });
    expect(events.map((e) => e.event)).not.toContain("research.sources");
    expect(events.at(-1)).toMatchObject({ event: "output.done", data: { sources: [] } });
    expect((f.bodies[0]?.messages as { role: string }[]).map((m) => m.role)).toEqual(["system", "user"]);
  });
});
