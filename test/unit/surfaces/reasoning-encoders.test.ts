import { describe, expect, it } from "vitest";
import { sseText } from "../../helpers/encoders.js";
import type { StagedEvent } from "../../../src/events/index.js";
import type { Collected, StagedRequest } from "../../../src/pipeline/index.js";
import { openAIChatCompletion, openAIChatEncoder, responsesEncoder, responsesObject, stagedCompletion, stagedEncoder } from "../../../src/surfaces/index.js";

/* Where each surface puts the model's own reasoning (`include_reasoning`). */

const id = "req1";
const timings = { prompt_summary: 1, reasoning_end: 2, reasoning_summary: 3, first_output: 4, total: 5 };
const events: StagedEvent[] = [
  { event: "summary.prompt", data: { request_id: id, text: "Asks 2+2.", source: "model" } },
  { event: "reasoning.delta", data: { request_id: id, text: "Two plus " } },
  { event: "summary.progress", data: { request_id: id, index: 0, text: "Adding.", source: "model" } },
  { event: "reasoning.delta", data: { request_id: id, text: "two is four." } },
  { event: "summary.reasoning", data: { request_id: id, text: "- adds", source: "model" } },
  { event: "output.delta", data: { request_id: id, text: "4" } },
  { event: "output.done", data: { request_id: id, finish_reason: "stop", timings } },
];
const frames = (sse: string) =>
  sse
    .split("\n")
    .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
const collected: Collected = {
  answer: "4",
  toolCalls: [],
  promptSummary: { text: "Asks 2+2.", source: "model" },
  progress: [{ index: 0, text: "Adding." }],
  reasoningSummary: { text: "- adds", source: "model" },
  reasoning: "Two plus two is four.",
  sources: [],
  validation: undefined,
  finishReason: "stop",
  usage: undefined,
  timings,
  errors: [],
  provider: undefined,
};
const req = { requestId: id, model: "m" } as StagedRequest;

describe("raw reasoning on each surface", () => {
  it("staged: reasoning.delta events as they are", () => {
    const enc = stagedEncoder(id);
    expect(sseText((o) => enc.event(events[1]!, o))).toBe(`event: reasoning.delta\ndata: {"request_id":"req1","text":"Two plus "}\n\n`);
    expect(stagedCompletion(req, collected, 1).choices[0]?.message).toMatchObject({ content: "4", reasoning_content: "Two plus two is four." });
    expect(stagedCompletion(req, { ...collected, reasoning: "" }, 1).choices[0]?.message).not.toHaveProperty("reasoning_content");
  });

  it("OpenAI chat: the raw text streams in reasoning_content, one part set off by blank lines from the summaries", () => {
    const enc = openAIChatEncoder({ requestId: id, model: "m", createdSeconds: 1, includeUsage: false });
    const out = frames(events.map((e) => sseText((o) => enc.event(e, o))).join(""));
    const reasoning = out.map((f) => (f.choices as { delta: { reasoning_content?: string } }[])[0]?.delta.reasoning_content ?? "").join("");
    expect(reasoning).toBe("Asks 2+2.\n\nTwo plus \n\nAdding.\n\ntwo is four.\n\n- adds");
  });

  it("OpenAI chat stream:false: the raw text after the summaries", () => {
    const json = openAIChatCompletion(req, collected, 1);
    expect(json.choices[0]?.message).toMatchObject({ reasoning_content: "Asks 2+2.\n\nAdding.\n\n- adds\n\nTwo plus two is four." });
  });

  it("Responses: a reasoning_text content part on the reasoning item, streamed as OpenAI streams open-weight reasoning", () => {
    const enc = responsesEncoder({ requestId: id, model: "m", createdSeconds: 1, body: { model: "m", input: "x" } });
    const out = frames(events.map((e) => sseText((o) => enc.event(e, o))).join(""));
    const types = out.map((f) => f.type);
    expect(types).toContain("response.content_part.added");
    const deltas = out.filter((f) => f.type === "response.reasoning_text.delta").map((f) => f.delta);
    expect(deltas).toEqual(["Two plus ", "two is four."]);
    const done = out.find((f) => f.type === "response.reasoning_text.done");
    expect(done).toMatchObject({ text: "Two plus two is four.", content_index: 0 });
    // Done before the reasoning item is.
    expect(types.indexOf("response.reasoning_text.done")).toBeLessThan(types.indexOf("response.output_item.done"));
    const completed = out.find((f) => f.type === "response.completed") as { response: { output: { type: string; content?: unknown; summary?: unknown[] }[] } };
    const item = completed.response.output.find((o) => o.type === "reasoning");
    expect(item?.content).toEqual([{ type: "reasoning_text", text: "Two plus two is four." }]);
    expect(item?.summary).toHaveLength(3);
  });

  it("Responses stream:false: the same item", () => {
    const obj = responsesObject({ requestId: id, model: "m", createdSeconds: 1, body: { model: "m", input: "x" } }, collected);
    expect(obj.output[0]).toMatchObject({ type: "reasoning", content: [{ type: "reasoning_text", text: "Two plus two is four." }] });
  });
});
