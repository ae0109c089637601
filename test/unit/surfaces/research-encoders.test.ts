import { describe, expect, it } from "vitest";
import { sseText } from "../../helpers/encoders.js";
import type { Source, StagedEvent } from "../../../src/events/index.js";
import { openAIChatEncoder, responsesEncoder } from "../../../src/surfaces/index.js";

/*
 * The OpenAI encoders given research events directly: the citations they report must not depend
 * on where the answer's deltas happen to be cut.
 */

const id = "req1";
const sources: Source[] = [
  { index: 1, title: "One", url: "https://example.org/1", snippet: "first" },
  { index: 2, title: "Two", url: "https://example.org/2", snippet: "second" },
];
const ANSWER = "Blue light scatters [1]; sunsets [2][1]. Not [3].";

function run(deltas: string[]): StagedEvent[] {
  return [
    { event: "summary.prompt", data: { request_id: id, text: "Asks why.", source: "model" } },
    { event: "research.sources", data: { request_id: id, query: "why", sources } },
    { event: "summary.reasoning", data: { request_id: id, text: "- scattering", source: "model" } },
    ...deltas.map((text): StagedEvent => ({ event: "output.delta", data: { request_id: id, text } })),
    {
      event: "output.done",
      data: {
        request_id: id,
        finish_reason: "stop",
        timings: { prompt_summary: 1, reasoning_end: 2, reasoning_summary: 3, first_output: 4, total: 5 },
        sources,
      },
    },
  ];
}

/** The data objects of an SSE body. */
function frames(sse: string): Record<string, unknown>[] {
  return sse
    .split("\n")
    .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
}

const spans = [
  { n: 1, start: ANSWER.indexOf("[1]"), end: ANSWER.indexOf("[1]") + 3 },
  { n: 2, start: ANSWER.indexOf("[2]"), end: ANSWER.indexOf("[2]") + 3 },
  { n: 1, start: ANSWER.lastIndexOf("[1]"), end: ANSWER.lastIndexOf("[1]") + 3 },
];

describe("openAIChatEncoder in research mode", () => {
  it("one sources chunk without choices, and the same annotations however the answer is cut", () => {
    const expected = spans.map(({ n, start, end }) => ({
      type: "url_citation",
      url_citation: { url: `https://example.org/${n}`, title: n === 1 ? "One" : "Two", start_index: start, end_index: end },
    }));
    for (let cut = 0; cut <= ANSWER.length; cut++) {
      const enc = openAIChatEncoder({ requestId: id, model: "m", createdSeconds: 1, includeUsage: false });
      const out = frames(
        run([ANSWER.slice(0, cut), ANSWER.slice(cut)])
          .map((e) => sseText((o) => enc.event(e, o)))
          .join(""),
      );
      const withSources = out.filter((f) => "sources" in f);
      expect(withSources).toEqual([expect.objectContaining({ object: "chat.completion.chunk", choices: [], sources })]);
      const last = out.at(-1) as { choices: { delta: { annotations?: unknown }; finish_reason: string }[] };
      expect(last.choices[0]?.finish_reason).toBe("stop");
      expect(last.choices[0]?.delta.annotations, `cut at ${cut}`).toEqual(expected);
    }
  });

  it("no sources: no sources chunk and no annotations, even when the answer has [1]", () => {
    const enc = openAIChatEncoder({ requestId: id, model: "m", createdSeconds: 1, includeUsage: false });
    const events = run([ANSWER]).map((e): StagedEvent => (e.event === "research.sources" ? { ...e, data: { ...e.data, sources: [] } } : e));
    const out = frames(events.map((e) => sseText((o) => enc.event(e, o))).join(""));
    expect(out.some((f) => "sources" in f)).toBe(false);
    expect(JSON.stringify(out)).not.toContain("annotations");
  });
});

describe("responsesEncoder in research mode", () => {
  it("announces each citation before output_text.done and puts them on the part, the item and the response", () => {
    const enc = responsesEncoder({ requestId: id, model: "m", createdSeconds: 1, body: { model: "m", input: "why" } });
    const out = frames(
      run(["Blue light scatters [", "1]; sunsets [2][1]. Not [3]."])
        .map((e) => sseText((o) => enc.event(e, o)))
        .join(""),
    );
    const expected = spans.map(({ n, start, end }) => ({
      type: "url_citation",
      url: `https://example.org/${n}`,
      title: n === 1 ? "One" : "Two",
      start_index: start,
      end_index: end,
    }));
    const types = out.map((f) => f.type);
    const added = out.filter((f) => f.type === "response.output_text.annotation.added");
    expect(added.map((f) => f.annotation)).toEqual(expected);
    expect(added.map((f) => f.annotation_index)).toEqual([0, 1, 2]);
    expect(types.lastIndexOf("response.output_text.annotation.added")).toBeLessThan(types.indexOf("response.output_text.done"));
    expect(out.find((f) => f.type === "response.content_part.done")).toMatchObject({ part: { text: ANSWER, annotations: expected } });
    expect(out.find((f) => f.type === "response.completed")).toMatchObject({
      response: { output: [{ type: "reasoning" }, { type: "message", content: [{ annotations: expected }] }] },
    });
  });
});
