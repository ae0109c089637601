import { describe, it, expect } from "vitest";
import { createReasoningSeparator, type DeltaInput, type ParsedPart } from "../../../src/reasoning/index.js";
import { separatorCases, type SeparatorCase, type Segment } from "../../fixtures/reasoning/cases.js";

function segmentsOf(c: SeparatorCase): Segment[] {
  return typeof c.input === "string" ? [{ content: c.input }] : c.input;
}

function toDelta(segment: Segment, text: string): DeltaInput {
  return "content" in segment ? { content: text } : { reasoning: text };
}

/** The case's stream cut at stream offset `at` (one segment becomes two deltas). */
function splitAt(segments: Segment[], at: number): DeltaInput[] {
  const deltas: DeltaInput[] = [];
  let offset = 0;
  for (const s of segments) {
    const text = "content" in s ? s.content : s.reasoning;
    const cut = at - offset;
    if (cut > 0 && cut < text.length) deltas.push(toDelta(s, text.slice(0, cut)), toDelta(s, text.slice(cut)));
    else deltas.push(toDelta(s, text));
    offset += text.length;
  }
  return deltas;
}

function charByChar(segments: Segment[]): DeltaInput[] {
  return segments.flatMap((s) => {
    const text = "content" in s ? s.content : s.reasoning;
    return [...text].map((ch) => toDelta(s, ch));
  });
}

function streamLength(segments: Segment[]): number {
  return segments.reduce((n, s) => n + ("content" in s ? s.content : s.reasoning).length, 0);
}

interface Outcome {
  reasoning: string;
  answer: string;
  parts: ParsedPart[];
}

function run(c: SeparatorCase, deltas: DeltaInput[]): Outcome {
  const sep = createReasoningSeparator({ mode: c.mode, useReasoningFields: c.useReasoningFields ?? true });
  const parts = [...deltas.flatMap((d) => sep.push(d)), ...sep.end()];
  let reasoning = "";
  let answer = "";
  for (const p of parts) {
    if (p.type === "reasoning") reasoning += p.text;
    if (p.type === "answer") answer += p.text;
  }
  return { reasoning, answer, parts };
}

/** Exactly one reasoning-end, nothing empty, all reasoning before it and all answer after it. */
function expectWellFormed(parts: ParsedPart[]): void {
  const ends = parts.flatMap((p, i) => (p.type === "reasoning-end" ? [i] : []));
  expect(ends).toHaveLength(1);
  const end = ends[0]!;
  parts.forEach((p, i) => {
    if (p.type !== "reasoning-end") expect(p.text).not.toBe("");
    if (p.type === "answer") expect(i).toBeGreaterThan(end);
    if (p.type === "reasoning") expect(i).toBeLessThan(end);
  });
}

function expectCase(c: SeparatorCase, deltas: DeltaInput[], label: string): void {
  const got = run(c, deltas);
  expect({ reasoning: got.reasoning, answer: got.answer }, label).toEqual({ reasoning: c.reasoning, answer: c.answer });
  expectWellFormed(got.parts);
}

describe.each(separatorCases)("separator: $name", (c) => {
  const segments = segmentsOf(c);

  it("whole stream in one push per delta", () => {
    expectCase(c, segments.map((s) => toDelta(s, "content" in s ? s.content : s.reasoning)), "whole");
  });

  it("split at every point", () => {
    for (let at = 0; at <= streamLength(segments); at++) expectCase(c, splitAt(segments, at), `split at ${at}`);
  });

  it("one character at a time", () => {
    expectCase(c, charByChar(segments), "char by char");
  });
});

describe("separator streaming behaviour", () => {
  it("tags mode streams an untagged answer at once", () => {
    const sep = createReasoningSeparator({ mode: "tags", useReasoningFields: true });
    expect(sep.push({ content: "Hello" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "Hello" }]);
    expect(sep.push({ content: " world" })).toEqual([{ type: "answer", text: " world" }]);
    expect(sep.end()).toEqual([]);
  });

  it("auto mode holds untagged text until the end shows it was the answer", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ content: "Hello" })).toEqual([]);
    expect(sep.push({ content: " world" })).toEqual([]);
    expect(sep.end()).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "Hello world" }]);
  });

  it("auto mode releases held text as reasoning at a lone </think>", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ content: "hmm" })).toEqual([]);
    expect(sep.push({ content: "</think>Yes" })).toEqual([
      { type: "reasoning", text: "hmm" },
      { type: "reasoning-end" },
      { type: "answer", text: "Yes" },
    ]);
  });

  it("streams tagged reasoning live, holding back only a possible partial tag", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ content: "<analysis>abc</anal" })).toEqual([{ type: "reasoning", text: "abc" }]);
    expect(sep.push({ content: "ysis><final>Hi" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "Hi" }]);
  });

  it("holds back at most one tag's worth of text in a long reasoning", () => {
    const sep = createReasoningSeparator({ mode: "think", useReasoningFields: false });
    const body = "x".repeat(10_000);
    expect(sep.push({ content: body + "</analys" })).toEqual([{ type: "reasoning", text: body }]);
    expect(sep.push({ content: "is" })).toEqual([]);
    expect(sep.end()).toEqual([{ type: "reasoning", text: "</analysis" }, { type: "reasoning-end" }]);
  });

  it("handles a reasoning field and content in the same delta", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ reasoning: "r", content: "a" })).toEqual([
      { type: "reasoning", text: "r" },
      { type: "reasoning-end" },
      { type: "answer", text: "a" },
    ]);
  });

  it("treats null and empty reasoning fields as absent", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ reasoning: null, content: null })).toEqual([]);
    expect(sep.push({ reasoning: "" })).toEqual([]);
    expect(sep.push({ content: "<final>x" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "x" }]);
  });

  it("does not end field reasoning on whitespace-only content", () => {
    const sep = createReasoningSeparator({ mode: "fields", useReasoningFields: true });
    expect(sep.push({ reasoning: "a" })).toEqual([{ type: "reasoning", text: "a" }]);
    expect(sep.push({ content: "\n" })).toEqual([]);
    expect(sep.push({ reasoning: "b" })).toEqual([{ type: "reasoning", text: "b" }]);
  });

  it("drops reasoning fields that arrive after the answer began", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    sep.push({ reasoning: "r" });
    sep.push({ content: "answer" });
    expect(sep.push({ reasoning: "late" })).toEqual([]);
  });

  it("think mode ignores reasoning fields", () => {
    const sep = createReasoningSeparator({ mode: "think", useReasoningFields: true });
    expect(sep.push({ reasoning: "field" })).toEqual([]);
  });

  it("ignores input after end()", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.end()).toEqual([{ type: "reasoning-end" }]);
    expect(sep.push({ content: "late" })).toEqual([]);
    expect(sep.end()).toEqual([]);
  });

  it("does not mistake a Kelvin sign for k", () => {
    const sep = createReasoningSeparator({ mode: "tags", useReasoningFields: true });
    const parts = [...sep.push({ content: "<thin\u212A>x" }), ...sep.end()];
    expect(parts).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "<thin\u212A>x" }]);
  });

  it("stays linear on megabytes of reasoning in small chunks", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    let reasoning = 0;
    const chunk = "thinking < about </it> ";
    sep.push({ content: "<think>" });
    for (let i = 0; i < 100_000; i++) {
      for (const p of sep.push({ content: chunk })) if (p.type === "reasoning") reasoning += p.text.length;
    }
    for (const p of sep.end()) if (p.type === "reasoning") reasoning += p.text.length;
    expect(reasoning).toBe(chunk.length * 100_000);
  });
});
