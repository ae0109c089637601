import { describe, expect, it } from "vitest";
import type { StagedEvent } from "../../../src/events/index.js";
import { applyEvent, endTurn, mergeToolCalls, newTurn, readStoredTurn, toMessages, type ToolCall, type Turn } from "../../../src/web/client/conversation.js";

const turn = (over: Partial<Turn> = {}): Turn => ({ ...newTurn({ id: "t1", prompt: "Why?", model: "m", startedAt: 1000 }), ...over });
const r = "req";

describe("applyEvent", () => {
  it("folds a whole staged stream into the turn", () => {
    const t = turn();
    const events: [StagedEvent, number][] = [
      [{ event: "summary.prompt", data: { request_id: r, text: "You ask why.", source: "model" } }, 300],
      [{ event: "summary.progress", data: { request_id: r, index: 0, text: "Note one", source: "model" } }, 5000],
      [{ event: "summary.progress", data: { request_id: r, index: 0, text: "Note one again", source: "model" } }, 5100],
      [
        {
          event: "upstream.retry",
          data: { request_id: r, provider: "p1", attempt: 2, max_retries: 3, delay_ms: 1500, code: "endpoint_unavailable", message: "endpoint warming up" },
        },
        5200,
      ],
      [{ event: "summary.reasoning", data: { request_id: r, text: "- because", source: "fallback" } }, 12_000],
      [{ event: "error", data: { request_id: r, stage: "reasoning_summary", message: "timed out", code: "timeout", retryable: true } }, 12_001],
      [{ event: "output.delta", data: { request_id: r, text: "Because " } }, 12_100],
      [{ event: "output.delta", data: { request_id: r, text: "physics." } }, 12_200],
      [
        {
          event: "output.done",
          data: {
            request_id: r,
            finish_reason: "stop",
            timings: { prompt_summary: 300, reasoning_end: 11_900, reasoning_summary: 12_000, first_output: 12_100, total: 12_300 },
            route: { provider: "p1", strategy: "priority", reason: "first", attempts: 1 },
          },
        },
        12_300,
      ],
    ];
    const seen: (string | null)[] = [];
    for (const [e, at] of events) {
      applyEvent(t, e, at);
      seen.push(t.retry);
    }
    expect(t).toMatchObject({
      status: "done",
      promptSummary: { text: "You ask why.", source: "model" },
      progress: [{ index: 0, text: "Note one", atMs: 5000 }],
      reasoning: { text: "- because", source: "fallback" },
      thinkingMs: 12_000,
      answer: "Because physics.",
      stageErrors: [{ stage: "reasoning_summary", message: "timed out", code: "timeout" }],
      failure: null,
      route: { provider: "p1" },
    });
    expect(seen[3]).toBe("p1: endpoint warming up — retry 2/3 in 1.5 s");
    expect(seen[4]).toBeNull(); // the summary means the retry worked
  });

  it("keeps an upstream error as the turn's failure, for endTurn to finish", () => {
    const t = turn();
    applyEvent(t, { event: "output.delta", data: { request_id: r, text: "Half" } }, 10);
    applyEvent(t, { event: "error", data: { request_id: r, stage: "upstream", message: "stream broke", code: "upstream_error", retryable: true } }, 20);
    expect(t.status).toBe("streaming");
    endTurn(t, "failed", "the stream ended before output.done (stream_incomplete)");
    expect(t).toMatchObject({ status: "failed", failure: "stream broke (upstream_error)", answer: "Half" });
    endTurn(t, "stopped");
    expect(t.status).toBe("failed"); // the first ending wins
  });

  it("collects research sources, and takes the final list from output.done", () => {
    const t = turn();
    const src = { index: 1, title: "A", url: "https://a.example", snippet: "a" };
    applyEvent(t, { event: "research.sources", data: { request_id: r, query: "q", sources: [src] } }, 1);
    expect(t.sources).toEqual([src]);
    applyEvent(
      t,
      {
        event: "output.done",
        data: {
          request_id: r,
          finish_reason: "stop",
          timings: { prompt_summary: 1, reasoning_end: null, reasoning_summary: null, first_output: null, total: 2 },
          sources: [src, { ...src, index: 2 }],
        },
      },
      2,
    );
    expect(t.sources.map((s) => s.index)).toEqual([1, 2]);
  });
});

describe("mergeToolCalls", () => {
  it("joins fragments by index, names from the first fragment, arguments appended", () => {
    const calls: ToolCall[] = [];
    mergeToolCalls(calls, [{ index: 1, id: "b", type: "function", function: { name: "second", arguments: "{" } }]);
    mergeToolCalls(calls, [
      { index: 0, id: "a", type: "function", function: { name: "first", arguments: '{"x":' } },
      { index: 1, function: { arguments: "}" } },
    ]);
    mergeToolCalls(calls, [{ index: 0, function: { arguments: "1}" } }]);
    expect(calls).toEqual([
      { index: 0, id: "a", name: "first", arguments: '{"x":1}' },
      { index: 1, id: "b", name: "second", arguments: "{}" },
    ]);
  });
});

describe("toMessages", () => {
  it("sends earlier answered turns (finished, stopped or interrupted with text), never failed ones", () => {
    const turns = [
      turn({ prompt: "Q1", answer: "A1", status: "done" }),
      turn({ prompt: "Q2", answer: "partial", status: "failed" }),
      turn({ prompt: "Q3", answer: "A3 so far", status: "stopped" }),
      turn({ prompt: "Q4", answer: "", status: "stopped" }),
      turn({ prompt: "Q5", answer: "A5", status: "interrupted" }),
    ];
    expect(toMessages(turns, "Q6")).toEqual([
      { role: "user", content: "Q1" },
      { role: "assistant", content: "A1" },
      { role: "user", content: "Q3" },
      { role: "assistant", content: "A3 so far" },
      { role: "user", content: "Q5" },
      { role: "assistant", content: "A5" },
      { role: "user", content: "Q6" },
    ]);
    expect(toMessages([], "only")).toEqual([{ role: "user", content: "only" }]);
  });
});

describe("readStoredTurn", () => {
  it("reads a saved turn back; one saved mid-stream comes back interrupted", () => {
    const done = turn({ id: "a", status: "done", answer: "A", progress: [{ index: 0, text: "n", atMs: 5 }] });
    expect(readStoredTurn(JSON.parse(JSON.stringify(done)))).toEqual(done);
    expect(readStoredTurn({ ...turn({ id: "b", answer: "par" }), status: "streaming" })).toMatchObject({ id: "b", status: "interrupted" });
  });

  it("drops what it cannot read, and forgives damaged optional parts", () => {
    expect(readStoredTurn({ id: "x" })).toBeNull();
    expect(readStoredTurn("junk")).toBeNull();
    expect(readStoredTurn({ ...turn({ id: "odd" }), status: "done", progress: "nope", timings: 5 })).toMatchObject({ id: "odd", progress: [], timings: null });
  });
});
