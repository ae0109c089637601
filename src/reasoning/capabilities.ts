/**
 * Per-model reasoning format from MODEL_CAPABILITIES (SPEC §3): which way a model reports its reasoning.
 */
import type { CapabilityMode } from "../config/index.js";

/** One `pattern=mode` entry; a pattern ending in `*` matches by prefix, otherwise exactly. */
export interface CapabilityRule {
  pattern: string;
  mode: CapabilityMode;
}

/**
 * Picks the reasoning format for `model`: the first rule whose pattern matches wins (so list specific
 * patterns before broad ones), matching is case-insensitive because providers disagree on model-name
 * case, and anything unlisted is `auto`, which accepts every format.
 */
export function resolveCapability(model: string, rules: readonly CapabilityRule[]): CapabilityMode {
  const name = model.trim().toLowerCase();
  for (const rule of rules) {
    const pattern = rule.pattern.trim().toLowerCase();
    const matches = pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
    if (matches) return rule.mode;
  }
  return "auto";
}
