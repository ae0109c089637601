/**
 * Thinking controls: a client's `reasoning_effort` (the Responses API's `reasoning.effort` arrives as the
 * same field) translated into what each open family's chat template actually reads. OpenAI-compatible
 * servers (vLLM, SGLang, llama.cpp) pass `chat_template_kwargs` to the template; a family without an
 * entry here gets `reasoning_effort` unchanged. The native APIs map the same efforts to their own
 * budgets with {@link effortBudget}. docs/reasoning-formats.md has the table.
 */
import type { CapabilityMode } from "../config/index.js";

/**
 * How a family switches thinking:
 * - `enable_thinking`: `chat_template_kwargs.enable_thinking` (Qwen3, GLM-4.5/4.6, Hunyuan, Gemma 4);
 * - `thinking`: `chat_template_kwargs.thinking` (DeepSeek V3.1/V3.2, Granite 3.2);
 * - `seed-budget`: `chat_template_kwargs.thinking_budget` in tokens (Seed-OSS; 0 = no thinking);
 * - `gpt-oss`: `reasoning_effort` low/medium/high, which gpt-oss servers read; thinking cannot be off.
 */
export type ThinkingControl = "enable_thinking" | "thinking" | "seed-budget" | "gpt-oss";

/** The efforts OpenAI's APIs name; anything else is passed through untouched for the upstream to judge. */
export const EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export type Effort = (typeof EFFORTS)[number];

export function isEffort(v: unknown): v is Effort {
  return typeof v === "string" && (EFFORTS as readonly string[]).includes(v);
}

/** Seed-OSS budgets (its model card recommends multiples of 512; -1 = unlimited). */
const SEED_BUDGET: Record<Effort, number> = { none: 0, minimal: 512, low: 1024, medium: 4096, high: -1, xhigh: -1 };
/** gpt-oss knows three levels and always reasons: the lowest stands in for "none". */
const GPT_OSS_LEVEL: Record<Effort, string> = { none: "low", minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "high" };
/** Thinking tokens per effort for APIs that take a budget (Anthropic, Gemini); 0 = thinking off. */
const BUDGET: Record<Effort, number> = { none: 0, minimal: 1024, low: 2048, medium: 8192, high: 24576, xhigh: 32768 };

/** The thinking budget for an effort, in tokens; 0 for `none`. */
export function effortBudget(effort: Effort): number {
  return BUDGET[effort];
}

/**
 * What replaces `reasoning_effort` in an OpenAI-compatible body for a family: the template kwargs to
 * merge (the client's own `chat_template_kwargs` keys win) and the `reasoning_effort` to send, if any.
 */
export function thinkingFields(control: ThinkingControl, effort: Effort): { kwargs?: Record<string, unknown>; reasoningEffort?: string } {
  switch (control) {
    case "enable_thinking":
      return { kwargs: { enable_thinking: effort !== "none" } };
    case "thinking":
      return { kwargs: { thinking: effort !== "none" } };
    case "seed-budget":
      return { kwargs: { thinking_budget: SEED_BUDGET[effort] } };
    case "gpt-oss":
      return { reasoningEffort: GPT_OSS_LEVEL[effort] };
  }
}

/**
 * The format to parse with, once the request is known. A template that opens `<think>` itself does so
 * only when thinking is on: DeepSeek V3.1's only when asked for (`thinking` or `enable_thinking` true),
 * and an R1-style family with a switch (Nemotron 3) not when it was turned off — then the answer is plain.
 */
export function effectiveMode(mode: CapabilityMode, kwargs: unknown, control?: ThinkingControl): CapabilityMode {
  const k = typeof kwargs === "object" && kwargs !== null ? kwargs : {};
  const is = (value: boolean) => ("thinking" in k && k.thinking === value) || ("enable_thinking" in k && k.enable_thinking === value);
  if (mode === "deepseek-v3") return is(true) ? "think" : "think-open";
  if (mode === "think" && control !== undefined && is(false)) return "think-open";
  return mode;
}
