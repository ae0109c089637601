import { describe, expect, it } from "vitest";
import { effectiveMode, effortBudget, EFFORTS, isEffort, thinkingFields } from "../../../src/reasoning/index.js";

describe("thinking controls: reasoning_effort per family", () => {
  it("switches Qwen3-style templates with enable_thinking, off only for none", () => {
    expect(thinkingFields("enable_thinking", "none")).toEqual({ kwargs: { enable_thinking: false } });
    for (const e of ["minimal", "low", "medium", "high", "xhigh"] as const)
      expect(thinkingFields("enable_thinking", e)).toEqual({ kwargs: { enable_thinking: true } });
  });

  it("switches DeepSeek V3.1 and Granite with thinking", () => {
    expect(thinkingFields("thinking", "none")).toEqual({ kwargs: { thinking: false } });
    expect(thinkingFields("thinking", "high")).toEqual({ kwargs: { thinking: true } });
  });

  it("gives Seed-OSS a token budget, zero for none and unlimited for high", () => {
    expect(thinkingFields("seed-budget", "none")).toEqual({ kwargs: { thinking_budget: 0 } });
    expect(thinkingFields("seed-budget", "low")).toEqual({ kwargs: { thinking_budget: 1024 } });
    expect(thinkingFields("seed-budget", "high")).toEqual({ kwargs: { thinking_budget: -1 } });
  });

  it("gives gpt-oss one of its three levels: it cannot stop reasoning, so none is low", () => {
    expect(thinkingFields("gpt-oss", "none")).toEqual({ reasoningEffort: "low" });
    expect(thinkingFields("gpt-oss", "minimal")).toEqual({ reasoningEffort: "low" });
    expect(thinkingFields("gpt-oss", "medium")).toEqual({ reasoningEffort: "medium" });
    expect(thinkingFields("gpt-oss", "xhigh")).toEqual({ reasoningEffort: "high" });
  });

  it("budgets grow with the effort and none is zero", () => {
    const budgets = EFFORTS.map(effortBudget);
    expect(budgets[0]).toBe(0);
    for (let i = 1; i < budgets.length; i++) expect(budgets[i]!).toBeGreaterThan(budgets[i - 1]!);
    expect(effortBudget("minimal")).toBeGreaterThanOrEqual(1024); // Anthropic's minimum
  });

  it("knows OpenAI's effort names and nothing else", () => {
    expect(isEffort("low")).toBe(true);
    expect(isEffort("max")).toBe(false);
    expect(isEffort(3)).toBe(false);
  });

  it("reads DeepSeek V3.1 as R1 only when the request turned thinking on", () => {
    expect(effectiveMode("deepseek-v3", { thinking: true })).toBe("think");
    expect(effectiveMode("deepseek-v3", { enable_thinking: true })).toBe("think");
    expect(effectiveMode("deepseek-v3", { thinking: false })).toBe("think-open");
    expect(effectiveMode("deepseek-v3", undefined)).toBe("think-open");
    expect(effectiveMode("think", undefined)).toBe("think");
  });

  it("reads an R1-style family with a switch as plain when thinking was turned off", () => {
    expect(effectiveMode("think", { enable_thinking: false }, "enable_thinking")).toBe("think-open");
    expect(effectiveMode("think", { enable_thinking: true }, "enable_thinking")).toBe("think");
    // Without a switch (DeepSeek-R1, QwQ) the template always opens <think>.
    expect(effectiveMode("think", { enable_thinking: false })).toBe("think");
  });
});
