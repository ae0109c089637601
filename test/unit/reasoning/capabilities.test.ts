import { describe, it, expect } from "vitest";
import { resolveCapability, type CapabilityRule } from "../../../src/reasoning/index.js";

const rules: CapabilityRule[] = [
  { pattern: "deepseek-r1-distill*", mode: "tags" },
  { pattern: "deepseek-r1*", mode: "think" },
  { pattern: "gpt-oss-120b", mode: "fields" },
  { pattern: "qwen3-*", mode: "fields" },
];

describe("resolveCapability", () => {
  it("defaults to auto for unlisted models and for no rules", () => {
    expect(resolveCapability("llama-3.1-8b", rules)).toBe("auto");
    expect(resolveCapability("deepseek-r1", [])).toBe("auto");
  });

  it("matches a pattern ending in * by prefix", () => {
    expect(resolveCapability("deepseek-r1-0528", rules)).toBe("think");
    expect(resolveCapability("deepseek-r1", rules)).toBe("think");
    expect(resolveCapability("qwen3-32b", rules)).toBe("fields");
  });

  it("matches other patterns exactly", () => {
    expect(resolveCapability("gpt-oss-120b", rules)).toBe("fields");
    expect(resolveCapability("gpt-oss-120b-high", rules)).toBe("auto");
    expect(resolveCapability("gpt-oss-12", rules)).toBe("auto");
  });

  it("lets the first matching rule win", () => {
    expect(resolveCapability("deepseek-r1-distill-qwen-7b", rules)).toBe("tags");
    const reversed = [...rules].reverse();
    expect(resolveCapability("deepseek-r1-distill-qwen-7b", reversed)).toBe("think");
  });

  it("ignores case on both sides", () => {
    expect(resolveCapability("DeepSeek-R1-0528", rules)).toBe("think");
    expect(resolveCapability("qwen3-8b", [{ pattern: "QWEN3-*", mode: "tags" }])).toBe("tags");
  });

  it("treats * only as a trailing wildcard", () => {
    expect(resolveCapability("anything", [{ pattern: "*", mode: "tags" }])).toBe("tags");
    expect(resolveCapability("a-x-b", [{ pattern: "a*b", mode: "tags" }])).toBe("auto");
    expect(resolveCapability("a*b", [{ pattern: "a*b", mode: "tags" }])).toBe("tags");
  });
});
