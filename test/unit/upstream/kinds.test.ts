import { describe, expect, it } from "vitest";
import { reportsNativeReasoning } from "../../../src/upstream/index.js";

describe("reportsNativeReasoning", () => {
  it("is true only where the adapter asks the API for its own reasoning field", () => {
    expect(reportsNativeReasoning({})).toBe(false);
    expect(reportsNativeReasoning({ kind: "openai" })).toBe(false);
    expect(reportsNativeReasoning({ kind: "anthropic" })).toBe(false);
    expect(reportsNativeReasoning({ kind: "anthropic", native: { thinkingBudget: 1024 } })).toBe(true);
    expect(reportsNativeReasoning({ kind: "gemini" })).toBe(true);
    expect(reportsNativeReasoning({ kind: "gemini", native: { thinkingBudget: 0 } })).toBe(false);
    expect(reportsNativeReasoning({ kind: "ollama" })).toBe(true);
    expect(reportsNativeReasoning({ kind: "ollama", native: { think: false } })).toBe(false);
  });

  it("lets a request's reasoning_effort decide for the native kinds", () => {
    expect(reportsNativeReasoning({ kind: "anthropic" }, "low")).toBe(true);
    expect(reportsNativeReasoning({ kind: "gemini" }, "none")).toBe(false);
    expect(reportsNativeReasoning({ kind: "ollama", native: { think: false } }, "high")).toBe(true);
    expect(reportsNativeReasoning({ kind: "openai" }, "high")).toBe(false);
  });
});
