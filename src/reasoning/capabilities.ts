/**
 * Per-model reasoning format (SPEC §3): which way a model reports its reasoning. The operator's
 * MODEL_CAPABILITIES rules come first; built-in per-family defaults follow, so the common reasoning models
 * never meet `auto`'s one ambiguity (R1-style reasoning without an opening `<think>` looks like a plain
 * answer); anything else is `auto`.
 */
import type { CapabilityMode } from "../config/index.js";

/** One `pattern=mode` entry; the pattern is a case-insensitive glob where `*` matches any run of characters. */
export interface CapabilityRule {
  pattern: string;
  mode: CapabilityMode;
}

/**
 * Built-in defaults, consulted after the operator's rules:
 * - DeepSeek-R1 (and its distills), QwQ, Qwen3 "Thinking" releases and other `-r1` models put reasoning
 *   before a lone `</think>` (their chat template opens the tag), so they need `think`; `think` still
 *   accepts `<think>` at the start and reasoning fields, for servers that parse the reasoning out;
 * - gpt-oss is served through the Harmony format, which every server maps to reasoning fields; `fields`
 *   keeps its content verbatim and skips the tag instruction it does not need.
 * Qwen3 hybrids and everything else stay `auto`, which handles `<think>` tags and reasoning fields.
 */
export const DEFAULT_CAPABILITIES: readonly CapabilityRule[] = [
  { pattern: "*deepseek-r1*", mode: "think" },
  { pattern: "*-r1", mode: "think" },
  { pattern: "*qwq*", mode: "think" },
  { pattern: "*qwen3*thinking*", mode: "think" },
  { pattern: "*gpt-oss*", mode: "fields" },
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

/** The first rule matching `model`, or undefined. */
function findCapability(model: string, rules: readonly CapabilityRule[]): CapabilityMode | undefined {
  const name = model.trim().toLowerCase();
  for (const rule of rules) {
    if (globMatches(rule.pattern.trim().toLowerCase(), name)) return rule.mode;
  }
  return undefined;
}
