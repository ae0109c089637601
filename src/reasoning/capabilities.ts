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
 * A pattern cut at its `*`s once: lower-cased pieces, the first anchored at the start and the last
 * at the end. Matching is linear in the name, with no regular expression to escape.
 */
interface Glob {
  /** The whole pattern, when it has no `*`. */
  exact: string | undefined;
  first: string;
  middle: string[];
  last: string;
}

function compile(pattern: string): Glob {
  const pieces = pattern.trim().toLowerCase().split("*");
  if (pieces.length === 1) return { exact: pieces[0] ?? "", first: "", middle: [], last: "" };
  return { exact: undefined, first: pieces[0] ?? "", middle: pieces.slice(1, -1), last: pieces[pieces.length - 1] ?? "" };
}

/** True when `name` (lower-cased) matches the pattern: the literal pieces between `*`s appear in order. */
function globMatches(g: Glob, name: string): boolean {
  if (g.exact !== undefined) return name === g.exact;
  const { first, last } = g;
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const stop = name.length - last.length;
  for (const piece of g.middle) {
    const found = name.indexOf(piece, at);
    if (found === -1 || found + piece.length > stop) return false;
    at = found + piece.length;
  }
  return true;
}

/**
 * Each rule list, compiled once, with the answers it gave: every upstream call of a request looks
 * its model up four times (format and thinking switch, public and provider name), against the
 * defaults' 29 patterns. The profile put that at ≈ 1 % of the gateway's CPU under load. Model
 * names come from clients, so the memo is bounded: it starts over when full. A rule list is
 * read-only once made (the config's, a provider's): a list is compiled by identity.
 */
interface CompiledRules<R> {
  globs: Glob[];
  memo: Map<string, R | null>;
}

const MEMO_LIMIT = 1000;
const compiled = new WeakMap<readonly CapabilityRule[], CompiledRules<CapabilityRule>>();

function compiledRules<R extends CapabilityRule>(rules: readonly R[]): CompiledRules<R> {
  let c = compiled.get(rules) as CompiledRules<R> | undefined;
  if (!c) {
    c = { globs: rules.map((rule) => compile(rule.pattern)), memo: new Map() };
    compiled.set(rules, c);
  }
  return c;
}

/**
 * Picks the reasoning format for `model`: the first of `rules`, then of `defaults`, whose pattern matches
 * wins (so list specific patterns before broad ones); matching is case-insensitive because providers
 * disagree on model-name case; anything unmatched is `auto`, which accepts every format.
 */
export function resolveCapability(model: string, rules: readonly CapabilityRule[], defaults: readonly CapabilityRule[] = DEFAULT_CAPABILITIES): CapabilityMode {
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
export function resolveThinkingControl(
  publicModel: string,
  upstreamModel: string,
  defaults: readonly FamilyDefault[] = DEFAULT_CAPABILITIES,
): ThinkingControl | undefined {
  const rule = findRule(upstreamModel, defaults) ?? findRule(publicModel, defaults);
  return rule?.control;
}

/** The first rule matching `model`, or undefined. */
function findCapability(model: string, rules: readonly CapabilityRule[]): CapabilityMode | undefined {
  return findRule(model, rules)?.mode;
}

function findRule<R extends CapabilityRule>(model: string, rules: readonly R[]): R | undefined {
  if (rules.length === 0) return undefined;
  const c = compiledRules(rules);
  const known = c.memo.get(model);
  if (known !== undefined) return known ?? undefined;
  const name = model.trim().toLowerCase();
  const i = c.globs.findIndex((g) => globMatches(g, name));
  const rule = i === -1 ? undefined : rules[i];
  if (c.memo.size >= MEMO_LIMIT) c.memo.clear();
  c.memo.set(model, rule ?? null);
  return rule;
}
