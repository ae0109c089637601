/**
 * Per-model reasoning format (SPEC §3): which way a model reports its reasoning. The operator's rules
 * come first (a provider's `reasoning_formats`, then MODEL_CAPABILITIES); built-in per-family defaults
 * follow, so each open family's raw format is read without any configuration; anything else is `auto`,
 * which recognises every family's opening marker but cannot tell R1-style reasoning (no opening tag)
 * from a plain answer.
 */
import type { CapabilityMode } from "../config/index.js";
import type { ThinkingControl } from "./thinking.js";

/** One `pattern=mode` entry; the pattern is a case-insensitive glob where `*` matches any run of characters. */
export interface CapabilityRule {
  pattern: string;
  mode: CapabilityMode;
}

/** A built-in default: the family's format and, when its chat template has one, its thinking switch. */
export interface FamilyDefault extends CapabilityRule {
  /** Where `reasoning_effort` goes for this family (see thinking.ts); absent = passed through as is. */
  control?: ThinkingControl;
}

/**
 * Built-in defaults, consulted after the operator's rules; the first match wins, so specific patterns
 * come before broad ones. docs/reasoning-formats.md lists each with its source.
 * - `think`: the chat template opens `<think>`, so reasoning runs to a lone close (DeepSeek-R1 and its
 *   distills, QwQ, Qwen3 Thinking releases, ERNIE 4.5 thinking, MiniMax-M2, Step3, OLMo 3 Think, Holo2,
 *   Nemotron 3 — whose answer is plain when its switch turned thinking off);
 * - `think-open`: hybrids that open `<think>` themselves when thinking, and answer plainly when not
 *   (Qwen3, GLM-4.5/4.6, Kimi K2 Instruct); no tag instruction is injected;
 * - `deepseek-v3`: DeepSeek V3.1/V3.2, R1 style when the request turned thinking on, plain otherwise;
 * - one format per family with markers of its own (harmony, mistral, seed, kimi, cohere, granite,
 *   hunyuan, gemma4).
 */
export const DEFAULT_CAPABILITIES: readonly FamilyDefault[] = [
  { pattern: "*deepseek-r1*", mode: "think" },
  { pattern: "*-r1", mode: "think" },
  { pattern: "*qwq*", mode: "think" },
  { pattern: "*qwen3*thinking*", mode: "think" },
  { pattern: "*qwen3*", mode: "think-open", control: "enable_thinking" },
  { pattern: "*deepseek*v3.1*", mode: "deepseek-v3", control: "thinking" },
  { pattern: "*deepseek*v3.2*", mode: "deepseek-v3", control: "thinking" },
  { pattern: "*gpt-oss*", mode: "harmony", control: "gpt-oss" },
  { pattern: "*magistral*", mode: "mistral" },
  { pattern: "*seed-oss*", mode: "seed", control: "seed-budget" },
  { pattern: "*kimi*thinking*", mode: "kimi" },
  { pattern: "*kimi-dev*", mode: "kimi" },
  { pattern: "*kimi-k2*", mode: "think-open" },
  { pattern: "*command-a*", mode: "cohere" },
  { pattern: "*command-r7b*", mode: "cohere" },
  { pattern: "*granite-3.2*", mode: "granite", control: "thinking" },
  { pattern: "*granite3.2*", mode: "granite", control: "thinking" },
  { pattern: "*hunyuan*", mode: "hunyuan", control: "enable_thinking" },
  { pattern: "*ernie*thinking*", mode: "think" },
  { pattern: "*glm-4.5*", mode: "think-open", control: "enable_thinking" },
  { pattern: "*glm-4.6*", mode: "think-open", control: "enable_thinking" },
  { pattern: "*minimax-m1*", mode: "think" },
  { pattern: "*minimax-m2*", mode: "think" },
  { pattern: "*step3*", mode: "think" },
  { pattern: "*olmo-3*think*", mode: "think" },
  { pattern: "*holo2*", mode: "think" },
  { pattern: "*nemotron-3*", mode: "think", control: "enable_thinking" },
  { pattern: "*gemma-4*", mode: "gemma4", control: "enable_thinking" },
  { pattern: "*gemma4*", mode: "gemma4", control: "enable_thinking" },
];

/**
 * True when `name` matches `pattern`, both already lower-cased: the literal pieces between `*`s must appear
 * in order, the first at the start and the last at the end. Linear in the name, no regular expression to
 * escape.
 */
function globMatches(pattern: string, name: string): boolean {
  const pieces = pattern.split("*");
  if (pieces.length === 1) return name === pattern;
  const first = pieces[0] ?? "";
  const last = pieces[pieces.length - 1] ?? "";
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const stop = name.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = name.indexOf(piece, at);
    if (found === -1 || found + piece.length > stop) return false;
    at = found + piece.length;
  }
  return true;
}

/**
 * Picks the reasoning format for `model`: the first of `rules`, then of `defaults`, whose pattern matches
 * wins (so list specific patterns before broad ones); matching is case-insensitive because providers
 * disagree on model-name case; anything unmatched is `auto`, which accepts every format.
 */
export function resolveCapability(
  model: string,
  rules: readonly CapabilityRule[],
  defaults: readonly CapabilityRule[] = DEFAULT_CAPABILITIES,
): CapabilityMode {
  return findCapability(model, rules) ?? findCapability(model, defaults) ?? "auto";
}

/**
 * The format for a request served by a provider that knows the model by another name (a
 * providers-file mapping such as `reasoning-llm: deepseek-r1`): the operator's rules for either
 * name first, then the built-in defaults for either, the provider's own name before the public one.
 */
export function resolveCapabilityFor(
  publicModel: string,
  upstreamModel: string,
  rules: readonly CapabilityRule[],
  defaults: readonly CapabilityRule[] = DEFAULT_CAPABILITIES,
): CapabilityMode {
  return (
    findCapability(publicModel, rules) ??
    findCapability(upstreamModel, rules) ??
    findCapability(upstreamModel, defaults) ??
    findCapability(publicModel, defaults) ??
    "auto"
  );
}

/**
 * The family's thinking switch (its chat template's), from the built-in defaults only: it belongs to
 * the model, whatever format an operator chose to parse it with. The provider's own name first.
 */
export function resolveThinkingControl(publicModel: string, upstreamModel: string, defaults: readonly FamilyDefault[] = DEFAULT_CAPABILITIES): ThinkingControl | undefined {
  const rule = findRule(upstreamModel, defaults) ?? findRule(publicModel, defaults);
  return rule?.control;
}

/** The first rule matching `model`, or undefined. */
function findCapability(model: string, rules: readonly CapabilityRule[]): CapabilityMode | undefined {
  return findRule(model, rules)?.mode;
}

function findRule<R extends CapabilityRule>(model: string, rules: readonly R[]): R | undefined {
  const name = model.trim().toLowerCase();
  return rules.find((rule) => globMatches(rule.pattern.trim().toLowerCase(), name));
}
