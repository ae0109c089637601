import { describe, expect, it } from "vitest";
import { sample } from "../helpers/prom.js";
import { names, postStaged, userMessage, type StagedResult } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

/*
 * Live progress summaries while the model reasons (`summary.progress`), against the mock's
 * long reasoner (`mock-long-…`: paragraphs paced over `longReasoningSeconds`).
 */

const stack = useStack();
const ask = { messages: userMessage("Why is the sky blue, and why is it red at sunset?") };

const between = (r: StagedResult) => {
  const n = names(r);
  return {
    prompt: n.indexOf("summary.prompt"),
    reasoning: n.indexOf("summary.reasoning"),
    progress: n.flatMap((x, i) => (x === "summary.progress" ? [i] : [])),
  };
};

describe("summary.progress", () => {
  it("≥ 2 progress summaries during ~4 s of reasoning with REASONING_PROGRESS_SECONDS=1, all between summary.prompt and summary.reasoning", async () => {
    const { gateway, mock } = await stack({ longReasoningSeconds: 4 }, { REASONING_PROGRESS_SECONDS: "1" });
    const r = await postStaged(gateway.url, { model: "mock-long-think", ...ask });
    const at = between(r);
    expect(at.progress.length).toBeGreaterThanOrEqual(2);
    for (const i of at.progress) {
      expect(i).toBeGreaterThan(at.prompt);
      expect(i).toBeLessThan(at.reasoning);
    }
    const progress = r.events.filter((e) => e.event === "summary.progress").map((e) => e.data);
    expect(progress.map((p) => p.index)).toEqual(progress.map((_, i) => i));
    for (const p of progress) {
      expect(p.source).toBe("model");
      expect(String(p.text)).toMatch(/^\*\*.+\*\*: /);
    }
    // Each progress call summarised new reasoning, not the whole of it.
    const calls = mock.mock.calls.filter((c) => c.kind === "progress_summary");
    expect(calls.length).toBe(progress.length);
    const inputs = calls.map((c) => JSON.stringify(c.body.messages));
    expect(inputs[0]).toContain("pin down what is being asked");
    expect(inputs.at(-1)).not.toContain("pin down what is being asked");
    const done = r.events.at(-1);
    expect(done?.event).toBe("output.done");
    expect((done?.data.timings as { progress: number[] }).progress).toHaveLength(progress.length);
  }, 40_000);

  it("none when REASONING_PROGRESS_SECONDS=0, and none for stream:false", async () => {
    const { gateway, mock } = await stack({ longReasoningSeconds: 1.5 }, { REASONING_PROGRESS_SECONDS: "0" });
    const r = await postStaged(gateway.url, { model: "mock-long-think", ...ask });
    expect(names(r)).not.toContain("summary.progress");
    expect(names(r).at(-1)).toBe("output.done");
    expect(mock.mock.calls.filter((c) => c.kind === "progress_summary")).toHaveLength(0);

    const on = await stack({ longReasoningSeconds: 1.5 }, { REASONING_PROGRESS_SECONDS: "0.3" });
    const json = await postStaged(on.gateway.url, { model: "mock-long-think", ...ask, stream: false });
    expect(json.status).toBe(200);
    expect(on.mock.mock.calls.filter((c) => c.kind === "progress_summary")).toHaveLength(0);
  });

  it("a slow progress call is skipped, not queued, and never delays summary.reasoning or the answer", async () => {
    const { gateway, mock } = await stack(
      { longReasoningSeconds: 2, latency: { progressSummaryMs: 60_000 } },
      { REASONING_PROGRESS_SECONDS: "0.3", SUMMARY_TIMEOUT: "60" },
    );
    const started = performance.now();
    const r = await postStaged(gateway.url, { model: "mock-long-think", ...ask });
    expect(names(r).at(-1)).toBe("output.done");
    // Reasoning lasts ~2 s; a queued 60 s progress call would hold summary.reasoning far longer.
    const reasoningAt = r.events.find((e) => e.event === "summary.reasoning")?.at ?? Infinity;
    expect(reasoningAt - started).toBeLessThan(15_000);
    expect(names(r)).not.toContain("summary.progress");
    // One call in flight at a time: ticks while it ran were skipped, and it was cancelled when reasoning ended.
    const calls = mock.mock.calls.filter((c) => c.kind === "progress_summary");
    expect(calls).toHaveLength(1);
    await mock.mock.waitFor((cs) => cs.some((c) => c.kind === "progress_summary" && c.outcome === "aborted"));
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(sample(metrics, "gateway_progress_summaries_total", { outcome: "skipped_busy" })).toBeGreaterThan(0);
  });

  it("a client that leaves mid-reasoning cancels the progress call in flight", async () => {
    const { gateway, mock } = await stack(
      { longReasoningSeconds: 30, latency: { progressSummaryMs: 60_000 } },
      { REASONING_PROGRESS_SECONDS: "0.3", SUMMARY_TIMEOUT: "60" },
    );
    const controller = new AbortController();
    const pending = postStaged(gateway.url, { model: "mock-long-think", ...ask }, { signal: controller.signal });
    await mock.mock.waitFor((cs) => cs.some((c) => c.kind === "progress_summary"), 15_000);
    controller.abort();
    await pending;
    await mock.mock.waitFor(
      (cs) => cs.some((c) => c.kind === "progress_summary" && c.outcome === "aborted") && cs.some((c) => c.kind === "chat" && c.outcome === "aborted"),
    );
  });
});
