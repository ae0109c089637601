import { describe, expect, it } from "vitest";
import { classifyTask, explicitCategory, type TaskRoutingSettings } from "../../../src/providers/index.js";

const SETTINGS: TaskRoutingSettings = { local_context_tokens: 8192, long_prompt_chars: 4000 };
const text = (t: string, extra: { header?: string; metadataCategory?: unknown } = {}) => ({
  header: extra.header,
  metadataCategory: extra.metadataCategory,
  text: t,
});

describe("classifyTask", () => {
  it("calls a short plain question routine", () => {
    expect(classifyTask(text("What is the capital of France?"), SETTINGS)).toEqual({
      category: "routine",
      reason: "short prompt without code or multi-step wording",
      estimatedTokens: 8,
    });
    expect(classifyTask(text("Translate 'good morning' into Spanish."), SETTINGS).category).toBe("routine");
    expect(classifyTask(text(""), SETTINGS)).toMatchObject({ category: "routine", estimatedTokens: 0 });
  });

  describe("explicit category", () => {
    const codey = "```ts\nfunction f(x) { return x; }\n```";

    it("the header wins over everything, case-insensitively and trimmed", () => {
      expect(classifyTask(text(codey, { header: "Routine" }), SETTINGS)).toMatchObject({ category: "routine", reason: 'explicit category "routine"' });
      expect(classifyTask(text("hi", { header: "  COMPLEX " }), SETTINGS)).toMatchObject({ category: "complex", reason: 'explicit category "complex"' });
    });

    it("the header wins over metadata", () => {
      expect(classifyTask(text("hi", { header: "complex", metadataCategory: "routine" }), SETTINGS).category).toBe("complex");
      expect(classifyTask(text(codey, { header: "routine", metadataCategory: "complex" }), SETTINGS).category).toBe("routine");
    });

    it("metadata.category is used when there is no header", () => {
      expect(classifyTask(text("hi", { metadataCategory: "COMPLEX" }), SETTINGS)).toMatchObject({ category: "complex", reason: 'explicit category "complex"' });
      expect(classifyTask(text(codey, { metadataCategory: "routine" }), SETTINGS).category).toBe("routine");
    });

    it("safety_critical is read from the header or metadata, in either spelling, and never guessed from the words", () => {
      expect(classifyTask(text("hi", { header: "safety_critical" }), SETTINGS)).toMatchObject({
        category: "safety_critical",
        reason: 'explicit category "safety_critical"',
      });
      expect(classifyTask(text("hi", { header: " Safety-Critical " }), SETTINGS).category).toBe("safety_critical");
      expect(classifyTask(text("hi", { metadataCategory: "SAFETY_CRITICAL" }), SETTINGS).category).toBe("safety_critical");
      expect(classifyTask(text("hi", { header: "routine", metadataCategory: "safety_critical" }), SETTINGS).category).toBe("routine");
      for (const s of ["What is a lethal dose of paracetamol?", "Is this mole cancer?", "How much insulin should I inject?"]) {
        expect(classifyTask(text(s), SETTINGS).category, s).not.toBe("safety_critical");
      }
      expect(explicitCategory(undefined, "safety-critical")).toBe("safety_critical");
      expect(explicitCategory("urgent", undefined)).toBeUndefined();
    });

    it("ignores invalid values and falls through", () => {
      expect(classifyTask(text("hi", { header: "urgent", metadataCategory: "complex" }), SETTINGS).category).toBe("complex");
      expect(classifyTask(text("hi", { header: "", metadataCategory: 1 }), SETTINGS)).toMatchObject({
        category: "routine",
        reason: "short prompt without code or multi-step wording",
      });
      expect(classifyTask(text(codey, { metadataCategory: { category: "routine" } }), SETTINGS)).toMatchObject({
        category: "complex",
        reason: "contains code",
      });
      expect(classifyTask(text(codey, { header: "routine-ish", metadataCategory: null }), SETTINGS).category).toBe("complex");
    });
  });

  it("calls context longer than the local model's complex", () => {
    const settings = { local_context_tokens: 100, long_prompt_chars: 1_000_000 };
    const atLimit = "a ".repeat(200); // 400 chars ≈ 100 tokens: not over
    expect(classifyTask(text(atLimit), settings)).toMatchObject({ category: "routine", estimatedTokens: 100 });
    const over = atLimit + "b";
    expect(classifyTask(text(over), settings)).toEqual({
      category: "complex",
      reason: "~101 tokens exceeds the local context limit 100",
      estimatedTokens: 101,
    });
  });

  it("calls code complex", () => {
    const samples = [
      "Why does this fail?\n```\nx = 1\n```",
      "what does function parse(input) do",
      "fix def load(path): return open(path)",
      "class Parser with one method",
      "const f = (x) => x + 1",
      "#include <stdio.h> int main",
      "SELECT name FROM users WHERE id = 1",
    ];
    for (const s of samples) expect(classifyTask(text(s), SETTINGS), s).toMatchObject({ category: "complex", reason: "contains code" });
  });

  it("calls multi-step wording complex", () => {
    const samples = [
      "Explain step by step how rain forms",
      "Solve it step-by-step",
      "First boil the water, then add the pasta. What went wrong?",
      "Prove that there are infinitely many primes",
      "Derive the quadratic formula",
      "Plan a trip to Rome",
      "Analyze this poem",
      "Analyse this poem",
      "Compare cats and dogs",
      "What are the trade-offs of SQL vs NoSQL?",
      "Design a URL shortener",
    ];
    for (const s of samples) expect(classifyTask(text(s), SETTINGS), s).toMatchObject({ category: "complex", reason: "multi-step wording" });
  });

  it("matches words, not substrings", () => {
    for (const s of ["Is the planet Mars red?", "Who designed nothing? No: designer jeans", "firstly, thence"]) {
      expect(classifyTask(text(s), SETTINGS), s).toMatchObject({ category: "routine" });
    }
  });

  it("calls a long prompt complex", () => {
    const long = "hello there ".repeat(400); // 4800 chars, plain words
    expect(classifyTask(text(long.slice(0, 4000)), SETTINGS).category).toBe("routine");
    expect(classifyTask(text(long.slice(0, 4001)), SETTINGS)).toMatchObject({ category: "complex", reason: "prompt longer than 4000 characters" });
  });

  it("is deterministic", () => {
    const inputs = [text("What is 2+2?"), text("Design a cache"), text("```x```"), text("hi", { header: "complex" })];
    for (const input of inputs) {
      const first = classifyTask(input, SETTINGS);
      for (let i = 0; i < 20; i++) expect(classifyTask(input, SETTINGS)).toEqual(first);
    }
  });
});
