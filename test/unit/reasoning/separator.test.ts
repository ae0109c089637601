import { describe, it, expect } from "vitest";
import {
  createReasoningSeparator,
  MAX_HARMONY_HEADER,
  MAX_HELD_WHITESPACE,
  MAX_PARTIAL_TAG,
  type DeltaInput,
  type ParsedPart,
} from "../../../src/reasoning/index.js";
import { separatorCases, type SeparatorCase, type Segment } from "../../fixtures/reasoning/cases.js";
import { familyCases } from "../../fixtures/reasoning/families.js";

function segmentsOf(c: SeparatorCase): Segment[] {
  return typeof c.input === "string" ? [{ content: c.input }] : c.input;
}

function textOf(segment: Segment): string {
  return "content" in segment ? segment.content : "reasoning" in segment ? segment.reasoning : "";
}

function toDelta(segment: Segment, text: string): DeltaInput {
  return "content" in segment ? { content: text } : "reasoning" in segment ? { reasoning: text } : { toolCalls: true };
}

/** The case's stream cut at stream offset `at` (one segment becomes two deltas), in UTF-16 code units. */
function splitAt(segments: Segment[], at: number): DeltaInput[] {
  const deltas: DeltaInput[] = [];
  let offset = 0;
  for (const s of segments) {
    const text = textOf(s);
    const cut = at - offset;
    if (cut > 0 && cut < text.length) deltas.push(toDelta(s, text.slice(0, cut)), toDelta(s, text.slice(cut)));
    else deltas.push(toDelta(s, text));
    offset += text.length;
  }
  return deltas;
}

/** One UTF-16 code unit per delta, so every surrogate pair arrives in two halves. */
function unitByUnit(segments: Segment[]): DeltaInput[] {
  return segments.flatMap((s) =>
    "toolCalls" in s
      ? [toDelta(s, "")]
      : textOf(s)
          .split("")
          .map((ch) => toDelta(s, ch)),
  );
}

function streamLength(segments: Segment[]): number {
  return segments.reduce((n, s) => n + textOf(s).length, 0);
}

interface Outcome {
  reasoning: string;
  answer: string;
  toolCalls: { name: string; arguments: string }[];
  /** Parts returned by push(), then those returned by end(). */
  pushed: ParsedPart[];
  ended: ParsedPart[];
}

function run(c: SeparatorCase, deltas: DeltaInput[]): Outcome {
  const sep = createReasoningSeparator({
    mode: c.mode,
    useReasoningFields: c.useReasoningFields ?? true,
    ...(c.maxHeldWhitespace !== undefined && { maxHeldWhitespace: c.maxHeldWhitespace }),
  });
  const pushed = deltas.flatMap((d) => sep.push(d));
  const ended = sep.end();
  let reasoning = "";
  let answer = "";
  const toolCalls: { name: string; arguments: string }[] = [];
  for (const p of [...pushed, ...ended]) {
    if (p.type === "reasoning") reasoning += p.text;
    if (p.type === "answer") answer += p.text;
    if (p.type === "tool-call") {
      const call = (toolCalls[p.call.index] ??= { name: "", arguments: "" });
      call.name += p.call.function?.name ?? "";
      call.arguments += p.call.function?.arguments ?? "";
    }
  }
  return { reasoning, answer, toolCalls, pushed, ended };
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Exactly one reasoning-end, nothing empty, all reasoning before it and all answer after it; and no part
 * handed out before the end splits a surrogate pair (a Python client could not rejoin the halves).
 */
function expectWellFormed(o: Outcome): void {
  const parts = [...o.pushed, ...o.ended];
  const ends = parts.flatMap((p, i) => (p.type === "reasoning-end" ? [i] : []));
  expect(ends).toHaveLength(1);
  const end = ends[0]!;
  parts.forEach((p, i) => {
    if (p.type === "reasoning" || p.type === "answer") expect(p.text).not.toBe("");
    if (p.type === "answer" || p.type === "tool-call") expect(i).toBeGreaterThan(end);
    if (p.type === "reasoning") expect(i).toBeLessThan(end);
  });
  for (const p of o.pushed) {
    if (p.type === "reasoning-end" || p.type === "tool-call") continue;
    expect(isHigh(p.text.charCodeAt(p.text.length - 1)), `part ends in a high surrogate: ${JSON.stringify(p.text)}`).toBe(false);
    expect(isLow(p.text.charCodeAt(0)), `part starts with a low surrogate: ${JSON.stringify(p.text)}`).toBe(false);
  }
}

function expectCase(c: SeparatorCase, deltas: DeltaInput[], label: string): void {
  const got = run(c, deltas);
  // Compared whole, byte for byte: a trimmed or re-cased answer fails here.
  expect({ reasoning: got.reasoning, answer: got.answer, toolCalls: got.toolCalls }, label).toEqual({
    reasoning: c.reasoning,
    answer: c.answer,
    toolCalls: c.toolCalls ?? [],
  });
  expectWellFormed(got);
}

describe.each([...separatorCases, ...familyCases])("separator: $name", (c) => {
  const segments = segmentsOf(c);

  it("whole stream in one push per delta", () => {
    expectCase(
      c,
      segments.map((s) => toDelta(s, textOf(s))),
      "whole",
    );
  });

  it("split at every point", () => {
    for (let at = 0; at <= streamLength(segments); at++) expectCase(c, splitAt(segments, at), `split at ${at}`);
  });

  it("one code unit at a time", () => {
    expectCase(c, unitByUnit(segments), "unit by unit");
  });
});

describe("separator streaming behaviour", () => {
  it("tags mode streams an untagged answer at once", () => {
    const sep = createReasoningSeparator({ mode: "tags", useReasoningFields: true });
    expect(sep.push({ content: "Hello" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "Hello" }]);
    expect(sep.push({ content: " world" })).toEqual([{ type: "answer", text: " world" }]);
    expect(sep.end()).toEqual([]);
  });

  it("auto mode streams a plain answer live, leading whitespace included, from its first character", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ content: "\n  " })).toEqual([]);
    expect(sep.push({ content: "Hello" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "\n  Hello" }]);
    expect(sep.push({ content: " </think> world" })).toEqual([{ type: "answer", text: " </think> world" }]);
    expect(sep.end()).toEqual([]);
  });

  it("think mode releases R1 reasoning live and ends it at a lone </think>", () => {
    const sep = createReasoningSeparator({ mode: "think", useReasoningFields: true });
    expect(sep.push({ content: "hmm" })).toEqual([{ type: "reasoning", text: "hmm" }]);
    expect(sep.push({ content: "</think>\n\n    Yes" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "    Yes" }]);
  });

  it("holds the whitespace before a <final> wrapper until it knows, then drops it with the wrapper", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ content: "<think>r</think>\n" })).toEqual([{ type: "reasoning", text: "r" }, { type: "reasoning-end" }]);
    expect(sep.push({ content: "  " })).toEqual([]);
    expect(sep.push({ content: "<fin" })).toEqual([]);
    expect(sep.push({ content: "al>\n  x" })).toEqual([{ type: "answer", text: "  x" }]);
  });

  it("holds a </final> until the text after it shows whether it was the close", () => {
    const sep = createReasoningSeparator({ mode: "tags", useReasoningFields: true });
    expect(sep.push({ content: "<final>a</final>" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "a" }]);
    expect(sep.push({ content: "\n" })).toEqual([]);
    expect(sep.push({ content: "b" })).toEqual([{ type: "answer", text: "</final>\nb" }]);
    expect(sep.push({ content: "</final>  " })).toEqual([]);
    expect(sep.end()).toEqual([]);
  });

  it("never holds more than MAX_HELD_WHITESPACE characters of leading whitespace", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    for (let i = 0; i < MAX_HELD_WHITESPACE; i++) expect(sep.push({ content: " " })).toEqual([]);
    // One more and the start counts as a plain answer: everything held comes out at once.
    expect(sep.push({ content: " " })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: " ".repeat(MAX_HELD_WHITESPACE + 1) }]);
    expect(sep.push({ content: "<think>" })).toEqual([{ type: "answer", text: "<think>" }]);
  });

  it("never holds more than MAX_HELD_WHITESPACE characters after a </final>", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    sep.push({ content: "<final>a</final>" });
    const chunk = " ".repeat(1000);
    let released: ParsedPart[] = [];
    let pushes = 0;
    while (released.length === 0) {
      released = sep.push({ content: chunk });
      pushes++;
    }
    expect(pushes).toBe(Math.ceil((MAX_HELD_WHITESPACE + 1 - "</final>".length) / chunk.length));
    expect(released).toEqual([{ type: "answer", text: "</final>" + " ".repeat(pushes * chunk.length) }]);
  });

  it("stays bounded on an endless whitespace stream before the first tag", () => {
    const sep = createReasoningSeparator({ mode: "think", useReasoningFields: true });
    let reasoning = 0;
    for (let i = 0; i < 10_000; i++) for (const p of sep.push({ content: "\n".repeat(100) })) if (p.type === "reasoning") reasoning += p.text.length;
    // Past the cap the whitespace is R1 reasoning and flows out instead of piling up.
    expect(reasoning).toBe(1_000_000);
  });

  it("keeps the halves of a surrogate pair together", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ content: "ok \ud83d" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "ok " }]);
    expect(sep.push({ content: "\ude00!" })).toEqual([{ type: "answer", text: "\ud83d\ude00!" }]);
    // A stream that ends on half a pair hands it out as is: nothing is invented or lost.
    expect(sep.push({ content: "\ud83d" })).toEqual([]);
    expect(sep.end()).toEqual([{ type: "answer", text: "\ud83d" }]);
  });

  it("ends reasoning at a tool call", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ reasoning: "I need the weather." })).toEqual([{ type: "reasoning", text: "I need the weather." }]);
    expect(sep.push({ toolCalls: true })).toEqual([{ type: "reasoning-end" }]);
    expect(sep.push({ reasoning: "late", toolCalls: true })).toEqual([]);
    expect(sep.end()).toEqual([]);
  });

  it("processes a delta's content before its tool call", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ content: "<think>x</th", toolCalls: true })).toEqual([{ type: "reasoning", text: "x</th" }, { type: "reasoning-end" }]);
  });

  it("streams tagged reasoning live, holding back only a possible partial tag", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ content: "<analysis>abc</anal" })).toEqual([{ type: "reasoning", text: "abc" }]);
    expect(sep.push({ content: "ysis><final>Hi" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "Hi" }]);
  });

  it("holds back at most one tag's worth of text in a long reasoning", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: false });
    const body = "x".repeat(10_000);
    expect(sep.push({ content: "<think>" + body + "</analys" })).toEqual([{ type: "reasoning", text: body }]);
    expect(sep.push({ content: "is" })).toEqual([]);
    expect(sep.end()).toEqual([{ type: "reasoning", text: "</analysis" }, { type: "reasoning-end" }]);
  });

  it("handles a reasoning field and content in the same delta", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ reasoning: "r", content: "a" })).toEqual([{ type: "reasoning", text: "r" }, { type: "reasoning-end" }, { type: "answer", text: "a" }]);
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

  it("think mode takes a reasoning field first as fields style", () => {
    const sep = createReasoningSeparator({ mode: "think", useReasoningFields: true });
    expect(sep.push({ reasoning: "field" })).toEqual([{ type: "reasoning", text: "field" }]);
    expect(sep.push({ content: "No </think> here" })).toEqual([{ type: "reasoning-end" }, { type: "answer", text: "No </think> here" }]);
  });

  it("a reasoning field after the first content character decides nothing", () => {
    const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
    expect(sep.push({ content: "<thi" })).toEqual([]);
    expect(sep.push({ reasoning: "r" })).toEqual([{ type: "reasoning", text: "r" }]);
    expect(sep.push({ content: "nk>x</think>y" })).toEqual([{ type: "reasoning", text: "x" }, { type: "reasoning-end" }, { type: "answer", text: "y" }]);
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

describe("separator bounds across the families", () => {
  it("holds back at most the longest marker less one character", () => {
    // Granite's "Here is my thought process:" is the longest marker.
    expect(MAX_PARTIAL_TAG).toBe("Here is my thought process:".length - 1);
  });

  it.each([
    ["granite", "Here is my response", "Here is my thought process:\n"],
    ["cohere", "<|END_THINKING", "<|START_THINKING|>"],
    ["seed", "</seed:think", "<seed:think>"],
    ["kimi", "◁/think", "◁think▷"],
    ["mistral", "[/THINK", "[THINK]"],
  ] as const)("%s: a partial close is held until it is decided, and only it", (mode, partial, open) => {
    const sep = createReasoningSeparator({ mode, useReasoningFields: true });
    const body = "x".repeat(5000);
    expect(sep.push({ content: open + body + partial })).toEqual([{ type: "reasoning", text: body }]);
    expect(partial.length).toBeLessThanOrEqual(MAX_PARTIAL_TAG);
    // Not the close after all: the held text was reasoning.
    expect(sep.push({ content: "?" })).toEqual([{ type: "reasoning", text: `${partial}?` }]);
  });

  it("harmony: an endless header is cut at its cap and passed on as text", () => {
    const sep = createReasoningSeparator({ mode: "harmony", useReasoningFields: true });
    let answer = 0;
    sep.push({ content: "<|channel|>" });
    for (let i = 0; i < 1000; i++) for (const p of sep.push({ content: "y".repeat(100) })) if (p.type === "answer") answer += p.text.length;
    // Everything past the cap flows out instead of piling up in the header.
    expect(answer).toBe(100_000 + "<|channel|>".length);
    expect(MAX_HARMONY_HEADER).toBeLessThan(1000);
  });

  it("stays linear on megabytes of reasoning full of marker-like characters", () => {
    const sep = createReasoningSeparator({ mode: "granite", useReasoningFields: true });
    let reasoning = 0;
    const chunk = "Here he holds [H] <h> ";
    sep.push({ content: "Here is my thought process:" });
    for (let i = 0; i < 50_000; i++) for (const p of sep.push({ content: chunk })) if (p.type === "reasoning") reasoning += p.text.length;
    for (const p of sep.end()) if (p.type === "reasoning") reasoning += p.text.length;
    expect(reasoning).toBe(chunk.length * 50_000);
  });

  it("a harmony tool call ends the reasoning and carries a unique id", () => {
    const sep = createReasoningSeparator({ mode: "harmony", useReasoningFields: true, toolCallIdPrefix: "call_req1_" });
    const parts = [
      ...sep.push({ content: "<|channel|>analysis<|message|>r<|end|><|start|>assistant to=functions.f<|channel|>commentary json<|message|>{}<|call|>" }),
      ...sep.end(),
    ];
    expect(parts).toEqual([
      { type: "reasoning", text: "r" },
      { type: "reasoning-end" },
      { type: "tool-call", call: { index: 0, id: "call_req1_0", type: "function", function: { name: "f", arguments: "" } } },
      { type: "tool-call", call: { index: 0, function: { arguments: "{}" } } },
    ]);
  });
});
