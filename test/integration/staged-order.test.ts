import { describe, expect, it } from "vitest";
import { answerOf, first, names, postStaged, stagedOrder, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

const stack = useStack();
const ANSWER = "Paris is the capital of France. It sits on the Seine.";
const REASONING = "The user asks about the capital of France. France's capital city is Paris. Paris is on the Seine river.";
const ORDER = ["summary.prompt", "summary.reasoning", "output.delta", "output.done"];

describe("staged stream order", () => {
  for (const scenario of ["tagged", "think", "r1", "reasoning_content", "reasoning"] as const) {
    it(`${scenario}: four stages in order, the answer exactly, reasoning summarised by the model`, async () => {
      const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING });
      const r = await postStaged(gateway.url, { model: `mock-${scenario}`, messages: userMessage("What is the capital of France? Answer briefly.") });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(stagedOrder(r)).toEqual(ORDER);
      expect(answerOf(r)).toBe(ANSWER);
      expect(first(r, "summary.prompt").data.source).toBe("model");
      const rs = first(r, "summary.reasoning").data;
      expect(rs.source).toBe("model");
      expect(String(rs.text)).toMatch(/^- /m);
      // The reasoning summary was made from the reasoning, not from the answer or the tags.
      const call = mock.mock.calls.find((c) => c.kind === "reasoning_summary");
      const input = JSON.stringify(call?.body.messages);
      expect(input).toContain("Seine river");
      expect(input).not.toMatch(/<\/?(analysis|final|think)>/i);
    });
  }

  it("plain: no reasoning gives an empty reasoning summary without a summary call", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER });
    const r = await postStaged(gateway.url, { model: "mock-plain", messages: userMessage("Capital of France?") });
    expect(stagedOrder(r)).toEqual(ORDER);
    expect(first(r, "summary.reasoning").data).toMatchObject({ text: "", source: "empty" });
    expect(answerOf(r)).toBe(ANSWER);
    expect(mock.mock.calls.filter((c) => c.kind === "reasoning_summary")).toHaveLength(0);
  });

  it("every event carries the request id that is also the x-request-id header", async () => {
    const { gateway } = await stack();
    const r = await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Hi there, what is 2+2?") });
    const id = r.headers.get("x-request-id");
    expect(id).toBeTruthy();
    for (const e of r.events) expect(e.data.request_id).toBe(id);
  });

  it("output.done reports finish_reason, usage and every stage timing", async () => {
    const { gateway } = await stack({ usageChunk: true });
    const r = await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("What is 2+2?") });
    const done = first(r, "output.done").data as { finish_reason: string; usage: unknown; timings: Record<string, number | null> };
    expect(done.finish_reason).toBe("stop");
    expect(done.usage).toMatchObject({ total_tokens: expect.any(Number) });
    for (const k of ["prompt_summary", "reasoning_end", "reasoning_summary", "first_output", "total"]) {
      expect(done.timings[k], k).toEqual(expect.any(Number));
    }
    expect(done.timings.total).toBeGreaterThanOrEqual(done.timings.first_output ?? Infinity);
  });

  it("handles a stream without [DONE], without a role chunk and without usage", async () => {
    const { gateway } = await stack({ answerText: ANSWER, roleChunk: false, usageChunk: false, faults: { omitDone: true } });
    const r = await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Capital of France?") });
    expect(stagedOrder(r)).toEqual(ORDER);
    expect(answerOf(r)).toBe(ANSWER);
    expect(first(r, "output.done").data.usage).toBeUndefined();
  });

  it("a role-only first chunk and a usage-only last chunk add no text", async () => {
    const { gateway } = await stack({ answerText: ANSWER, roleChunk: true, usageChunk: true });
    const r = await postStaged(gateway.url, { model: "mock-reasoning_content", messages: userMessage("Capital of France?") });
    expect(answerOf(r)).toBe(ANSWER);
    expect(names(r).filter((n) => n === "error")).toEqual([]);
  });
});
