import type { TaskRoutingSettings } from "./schema.js";

export type TaskCategory = "routine" | "complex";

export interface Classification {
  category: TaskCategory;
  reason: string;
  estimatedTokens: number;
}

export interface ClassifierInput {
  /** `x-task-category` header, when sent. */
  header: string | undefined;
  /** `metadata.category` from the body, when sent. */
  metadataCategory: unknown;
  /** All message text, concatenated. */
  text: string;
}

const CODE = /```|\bfunction\s+\w+\s*\(|\bdef\s+\w+\s*\(|\bclass\s+\w+|=>|#include\s*<|\bSELECT\b.+\bFROM\b/s;
const MULTI_STEP = /\bstep[- ]by[- ]step\b|\bfirst\b[\s\S]{0,200}\bthen\b|\bprove\b|\bderive\b|\bplan\b|\banaly[sz]e\b|\bcompare\b|\btrade-?offs?\b|\bdesign\b/i;

/**
 * Rule-based and deterministic, so a routing decision can always be explained: an explicit
 * category wins; otherwise context too long for the local model, code, multi-step wording or a
 * long prompt make a request complex; anything else is routine.
 */
export function classifyTask(input: ClassifierInput, settings: TaskRoutingSettings): Classification {
  // ~4 characters per token: rough, but only has to compare against a limit.
  const estimatedTokens = Math.ceil(input.text.length / 4);
  const explicit = normalise(input.header) ?? normalise(input.metadataCategory);
  if (explicit) return { category: explicit, reason: `explicit category "${explicit}"`, estimatedTokens };
  if (estimatedTokens > settings.local_context_tokens) {
    return { category: "complex", reason: `~${estimatedTokens} tokens exceeds the local context limit ${settings.local_context_tokens}`, estimatedTokens };
  }
  if (CODE.test(input.text)) return { category: "complex", reason: "contains code", estimatedTokens };
  if (MULTI_STEP.test(input.text)) return { category: "complex", reason: "multi-step wording", estimatedTokens };
  if (input.text.length > settings.long_prompt_chars) {
    return { category: "complex", reason: `prompt longer than ${settings.long_prompt_chars} characters`, estimatedTokens };
  }
  return { category: "routine", reason: "short prompt without code or multi-step wording", estimatedTokens };
}

function normalise(v: unknown): TaskCategory | undefined {
  if (typeof v !== "string") return undefined;
  const s = v.trim().toLowerCase();
  return s === "routine" || s === "complex" ? s : undefined;
}
