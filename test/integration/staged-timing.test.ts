import { describe, expect, it } from "vitest";
import { first, postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

const stack = useStack();
const LONG_ANSWER = Array.from({ length: 8 }, (_, i) => `Answer sentence number ${i + 1} adds one more useful detail.`).join(" ");

/**
 * Timing is asserted as order ("before the upstream finished"), never as tight milliseconds:
 * the mock's own timestamps and the client's share one clock (performance.now, same process).
 */
describe("the three calls run concurrently", () => {
  it("summary.prompt arrives while the upstream is still reasoning", async () => {
    const { gateway, mock } = await stack({ latency: { reasoningChunkMs: 40, promptSummaryMs: 50 } });
    const r = await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Explain why the sky is blue.") });
    const stream = mock.mock.calls.find((c) => c.kind === "chat");
    const prompt = mock.mock.calls.find((c) => c.kind === "prompt_summary");
    expect(stream?.endedAt).toBeDefined();
    expect(first(r, "summary.prompt").at).toBeLessThan(stream!.endedAt!);
    // Both calls were made before either finished: they started together.
    expect(Math.abs(prompt!.receivedAt - stream!.receivedAt)).toBeLessThan(stream!.endedAt! - stream!.receivedAt);
  });

  it("the reasoning summary starts when reasoning ends, not when the stream ends", async () => {
    const { gateway, mock } = await stack({ answerText: LONG_ANSWER, latency: { answerChunkMs: 25 } });
    await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Tell me a story.") });
    const stream = mock.mock.calls.find((c) => c.kind === "chat")!;
    const summary = mock.mock.calls.find((c) => c.kind === "reasoning_summary")!;
    expect(summary.receivedAt).toBeLessThan(stream.endedAt!);
  });

  it("the answer streams live after summary.reasoning instead of arriving all at the end", async () => {
    const { gateway, mock } = await stack({ answerText: LONG_ANSWER, latency: { answerChunkMs: 30 } });
    const r = await postStaged(gateway.url, { model: "mock-reasoning_content", messages: userMessage("Tell me a story.") });
    const stream = mock.mock.calls.find((c) => c.kind === "chat")!;
    const deltas = r.events.filter((e) => e.event === "output.delta");
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas[0]!.at).toBeLessThan(stream.endedAt!);
    expect(first(r, "summary.reasoning").at).toBeLessThanOrEqual(deltas[0]!.at);
    // Spread over the mock's answer phase, not bunched at the end.
    expect(deltas.at(-1)!.at - deltas[0]!.at).toBeGreaterThan(50);
  });

  it("answer held back while the reasoning summary is slow is flushed right after it", async () => {
    const { gateway } = await stack({ answerText: "Short answer.", latency: { reasoningSummaryMs: 300 } });
    const r = await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Quick question?") });
    const names = r.events.map((e) => e.event);
    expect(names.indexOf("summary.reasoning")).toBeLessThan(names.indexOf("output.delta"));
    expect(
      r.events
        .filter((e) => e.event === "output.delta")
        .map((e) => e.data.text)
        .join(""),
    ).toBe("Short answer.");
  });

  it("a slow prompt summary still comes before summary.reasoning", async () => {
    const { gateway } = await stack({ latency: { promptSummaryMs: 300 } });
    const r = await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Quick question?") });
    const names = r.events.map((e) => e.event);
    expect(names.slice(0, 2)).toEqual(["summary.prompt", "summary.reasoning"]);
  });

  it("writes : ping keep-alives while nothing else is sent", async () => {
    const { gateway } = await stack({ latency: { reasoningChunkMs: 60 } }, { SSE_KEEPALIVE_SECONDS: "0.1" });
    const r = await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Think hard about this.") });
    expect(r.comments).toContain("ping");
    expect(r.events.at(-1)?.event).toBe("output.done");
  });
});
