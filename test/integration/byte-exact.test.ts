import { describe, expect, it } from "vitest";
import { answerOf, first, postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

const stack = useStack();

/**
 * An answer that every old shortcut altered: an indented first line, literal tags, CJK and emoji,
 * trailing whitespace. The mock cuts it every few code points, across everything.
 */
const ANSWER = "    def f():\n        return 1\n\nWrap it as <final>x</final>, close with </think>. 答案 🎉👍🏽 \n";
const REASONING = "The user wants a function. It should return one. Keep it short.";
const SCENARIOS = ["tagged", "think", "r1", "reasoning_content", "reasoning", "plain"] as const;

describe("the answer reaches the client byte for byte", () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario}: staged stream and stream:false carry exactly the upstream's answer`, async () => {
      const { gateway } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
      const body = { model: `mock-${scenario}`, messages: userMessage("Write f.") };

      const streamed = await postStaged(gateway.url, body);
      expect(streamed.status).toBe(200);
      expect(answerOf(streamed)).toBe(ANSWER);

      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...body, stream: false }),
      });
      expect(res.status).toBe(200);
      const json = (await res.json()) as { choices: { message: { content: string } }[] };
      expect(json.choices[0]?.message.content).toBe(ANSWER);
    });
  }
});

describe("auto mode and plain models", () => {
  it("streams a plain answer live instead of holding it to the end", async () => {
    const answer = Array.from({ length: 8 }, (_, i) => `Plain sentence ${i + 1} with no tags at all.`).join(" ");
    const { gateway, mock } = await stack({ answerText: answer, latency: { answerChunkMs: 30 } });
    const r = await postStaged(gateway.url, { model: "mock-plain", messages: userMessage("Tell me something.") });
    const stream = mock.mock.calls.find((c) => c.kind === "chat")!;
    const deltas = r.events.filter((e) => e.event === "output.delta");
    expect(answerOf(r)).toBe(answer);
    expect(first(r, "summary.reasoning").data).toMatchObject({ text: "", source: "empty" });
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas[0]!.at).toBeLessThan(stream.endedAt!);
  });
});
