import { describe, it, expect } from "vitest";
import { DEFAULT_CAPABILITIES, resolveCapability, resolveCapabilityFor, resolveThinkingControl, type CapabilityRule } from "../../../src/reasoning/index.js";

const rules: CapabilityRule[] = [
  { pattern: "deepseek-r1-distill*", mode: "tags" },
  { pattern: "deepseek-r1*", mode: "think" },
  { pattern: "gpt-oss-120b", mode: "fields" },
  { pattern: "qwen3-*", mode: "fields" },
];

/** Only the operator's rules, as before the built-in defaults existed. */
const resolveOwn = (model: string, own: readonly CapabilityRule[]) => resolveCapability(model, own, []);

describe("resolveCapability: patterns", () => {
  it("defaults to auto for unmatched models and for no rules", () => {
    expect(resolveOwn("llama-3.1-8b", rules)).toBe("auto");
    expect(resolveOwn("deepseek-r1", [])).toBe("auto");
  });

  it("matches a trailing * by prefix", () => {
    expect(resolveOwn("deepseek-r1-0528", rules)).toBe("think");
    expect(resolveOwn("deepseek-r1", rules)).toBe("think");
    expect(resolveOwn("qwen3-32b", rules)).toBe("fields");
  });

  it("matches a pattern without * exactly", () => {
    expect(resolveOwn("gpt-oss-120b", rules)).toBe("fields");
    expect(resolveOwn("gpt-oss-120b-high", rules)).toBe("auto");
    expect(resolveOwn("gpt-oss-12", rules)).toBe("auto");
  });

  it("matches * anywhere: leading, inner and several", () => {
    const glob = (pattern: string, model: string) => resolveOwn(model, [{ pattern, mode: "tags" }]);
    expect(glob("*deepseek-r1*", "accounts/fireworks/models/deepseek-r1-0528")).toBe("tags");
    expect(glob("*deepseek-r1*", "deepseek-r1")).toBe("tags");
    expect(glob("*-r1", "mock-r1")).toBe("tags");
    expect(glob("*-r1", "mock-r1-x")).toBe("auto");
    expect(glob("a*b", "a-x-b")).toBe("tags");
    expect(glob("a*b", "ab")).toBe("tags");
    expect(glob("a*b", "a-x-b-c")).toBe("auto");
    expect(glob("*qwen3*thinking*", "Qwen/Qwen3-235B-A22B-Thinking-2507")).toBe("tags");
    expect(glob("*qwen3*thinking*", "thinking-qwen3")).toBe("auto");
    expect(glob("*", "anything")).toBe("tags");
  });

  it("never lets pieces overlap: prefix and suffix must both fit", () => {
    const glob = (pattern: string, model: string) => resolveOwn(model, [{ pattern, mode: "tags" }]);
    expect(glob("ab*ba", "aba")).toBe("auto");
    expect(glob("ab*ba", "abba")).toBe("tags");
    expect(glob("a*bc*c", "abc")).toBe("auto");
    expect(glob("a*bc*c", "abcc")).toBe("tags");
  });

  it("treats other glob characters literally", () => {
    expect(resolveOwn("gpt-4.1", [{ pattern: "gpt-4?1", mode: "tags" }])).toBe("auto");
    expect(resolveOwn("gpt-4?1", [{ pattern: "gpt-4?1", mode: "tags" }])).toBe("tags");
    expect(resolveOwn("gpt-411", [{ pattern: "gpt-4.1", mode: "tags" }])).toBe("auto");
  });

  it("lets the first matching rule win", () => {
    expect(resolveOwn("deepseek-r1-distill-qwen-7b", rules)).toBe("tags");
    expect(resolveOwn("deepseek-r1-distill-qwen-7b", [...rules].reverse())).toBe("think");
  });

  it("ignores case on both sides", () => {
    expect(resolveOwn("DeepSeek-R1-0528", rules)).toBe("think");
    expect(resolveOwn("qwen3-8b", [{ pattern: "QWEN3-*", mode: "tags" }])).toBe("tags");
  });
});

describe("resolveCapability: built-in defaults", () => {
  it("gives the common reasoning families a mode without any configuration", () => {
    expect(resolveCapability("deepseek-r1", [])).toBe("think");
    expect(resolveCapability("DeepSeek-R1-Distill-Llama-70B", [])).toBe("think");
    expect(resolveCapability("deepseek-ai/DeepSeek-R1-0528", [])).toBe("think");
    expect(resolveCapability("QwQ-32B", [])).toBe("think");
    expect(resolveCapability("Qwen/Qwen3-30B-A3B-Thinking-2507", [])).toBe("think");
    expect(resolveCapability("openai/gpt-oss-120b", [])).toBe("harmony");
    expect(resolveCapability("gpt-oss:20b", [])).toBe("harmony");
  });

  it("keeps the mock upstream's R1 scenario on think and everything else on auto", () => {
    expect(resolveCapability("mock-r1", [])).toBe("think");
    for (const model of ["mock-tagged", "mock-think", "mock-reasoning_content", "mock-reasoning", "mock-plain"]) {
      expect(resolveCapability(model, []), model).toBe("auto");
    }
  });

  it("reads hybrid Qwen3 with think-open (no instruction) and leaves DeepSeek's API models and unknown ones on auto", () => {
    for (const model of ["qwen3-32b", "Qwen3-235B-A22B-Instruct-2507", "qwen3:8b"]) expect(resolveCapability(model, []), model).toBe("think-open");
    for (const model of ["deepseek-chat", "deepseek-reasoner", "llama-3.1-8b", "gpt-4o"]) {
      expect(resolveCapability(model, []), model).toBe("auto");
    }
  });

  it.each([
    ["openai/gpt-oss-20b", "harmony"],
    ["mistralai/Magistral-Small-2509", "mistral"],
    ["magistral-medium-latest", "mistral"],
    ["ByteDance-Seed/Seed-OSS-36B-Instruct", "seed"],
    ["moonshotai/Kimi-VL-A3B-Thinking-2506", "kimi"],
    ["moonshotai/Kimi-K2-Thinking", "kimi"],
    ["moonshotai/Kimi-Dev-72B", "kimi"],
    ["moonshotai/Kimi-K2-Instruct", "think-open"],
    ["CohereLabs/command-a-reasoning-08-2025", "cohere"],
    ["command-a-03-2025", "cohere"],
    ["ibm-granite/granite-3.2-8b-instruct", "granite"],
    ["granite3.2:8b", "granite"],
    ["tencent/Hunyuan-A13B-Instruct", "hunyuan"],
    ["baidu/ERNIE-4.5-21B-A3B-Thinking", "think"],
    ["zai-org/GLM-4.5-Air", "think-open"],
    ["zai-org/GLM-4.6", "think-open"],
    ["Qwen/Qwen3-30B-A3B-Thinking-2507", "think"],
    ["deepseek-ai/DeepSeek-R1-0528", "think"],
    ["deepseek-ai/DeepSeek-V3.1", "deepseek-v3"],
    ["deepseek/deepseek-chat-v3.1", "deepseek-v3"],
    ["deepseek-ai/DeepSeek-V3.2-Exp", "deepseek-v3"],
    ["MiniMaxAI/MiniMax-M2", "think"],
    ["stepfun-ai/step3", "think"],
    ["allenai/Olmo-3-7B-Think", "think"],
    ["Hcompany/Holo2-8B", "think"],
    ["nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", "think"],
    ["google/gemma-4-26B-A4B-it", "gemma4"],
  ] as const)("names %s's family: %s", (model, mode) => {
    expect(resolveCapability(model, [])).toBe(mode);
  });

  it("knows each family's thinking switch, by the provider's name first", () => {
    expect(resolveThinkingControl("qwen3-8b", "qwen3-8b")).toBe("enable_thinking");
    expect(resolveThinkingControl("alias", "deepseek-ai/DeepSeek-V3.1")).toBe("thinking");
    expect(resolveThinkingControl("gpt-oss-20b", "unknown")).toBe("gpt-oss");
    expect(resolveThinkingControl("x", "ByteDance-Seed/Seed-OSS-36B-Instruct")).toBe("seed-budget");
    expect(resolveThinkingControl("x", "granite-3.2-2b")).toBe("thinking");
    // Always-thinking models and models without a switch: reasoning_effort goes through as is.
    expect(resolveThinkingControl("x", "Qwen/Qwen3-30B-A3B-Thinking-2507")).toBeUndefined();
    expect(resolveThinkingControl("gpt-4o", "gpt-4o")).toBeUndefined();
  });

  it("lets MODEL_CAPABILITIES rules override the defaults", () => {
    expect(resolveCapability("deepseek-r1", [{ pattern: "deepseek-r1", mode: "fields" }])).toBe("fields");
    expect(resolveCapability("gpt-oss-20b", [{ pattern: "*", mode: "tags" }])).toBe("tags");
  });

  it("are exported for the README, every pattern a glob", () => {
    expect(DEFAULT_CAPABILITIES.length).toBeGreaterThan(0);
    for (const rule of DEFAULT_CAPABILITIES) expect(rule.pattern).toContain("*");
  });
});

describe("resolveCapabilityFor (a provider that knows the model by another name)", () => {
  it("operator rules for either name first, then the defaults for the provider's name", () => {
    // A public alias mapped to an R1 model: the built-in default sees the provider's name.
    expect(resolveCapabilityFor("reasoning-llm", "deepseek-r1", [])).toBe("think");
    // The operator's rule for the public name wins over a default for the provider's name.
    expect(resolveCapabilityFor("reasoning-llm", "deepseek-r1", [{ pattern: "reasoning-llm", mode: "fields" }])).toBe("fields");
    // An operator rule for the provider's name beats the defaults too.
    expect(resolveCapabilityFor("alias", "gpt-oss-120b", [{ pattern: "gpt-oss*", mode: "tags" }])).toBe("tags");
    expect(resolveCapabilityFor("alias", "plain-model", [])).toBe("auto");
  });
});

describe("resolveCapability: compiled once per rule list", () => {
  it("answers a repeated lookup the same way, each list by its own rules, and past the memo's bound", () => {
    const a: CapabilityRule[] = [{ pattern: "m*", mode: "tags" }];
    const b: CapabilityRule[] = [{ pattern: "m*", mode: "think" }];
    for (let i = 0; i < 3; i++) {
      expect(resolveOwn("Model-X", a)).toBe("tags");
      expect(resolveOwn("Model-X", b)).toBe("think");
      expect(resolveOwn("other", a)).toBe("auto");
    }
    // More names than the memo keeps: every answer still comes from the rules.
    for (let i = 0; i < 2500; i++) expect(resolveOwn(`m-${i}`, a)).toBe("tags");
    expect(resolveOwn(" MODEL ", a)).toBe("tags");
    expect(resolveThinkingControl("x", "Qwen3-8B")).toBe("enable_thinking");
    expect(resolveThinkingControl("x", "Qwen3-8B")).toBe("enable_thinking");
  });
});
