import type { TaskRoutingSettings } from "./schema.js";

/**
 * `routine` may go to a local provider first; `complex` goes to the cloud first; `safety_critical`
 * goes to the cloud only, and its JSON answers are never released unless they validate.
 */
export type TaskCategory = "routine" | "complex" | "safety_critical";

export const TASK_CATEGORIES: readonly TaskCategory[] = ["routine", "complex", "safety_critical"];

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
const MULTI_STEP =
  /\bstep[- ]by[- ]step\b|\bfirst\b[\s\S]{0,200}\bthen\b|\bprove\b|\bderive\b|\bplan\b|\banaly[sz]e\b|\bcompare\b|\btrade-?offs?\b|\bdesign\b/i;

/**
 * Rule-based and deterministic, so a routing decision can always be explained: an explicit
 * category wins; otherwise context too long for the local model, code, multi-step wording or a
 * long prompt make a request complex; anything else is routine. `safety_critical` is never
 * guessed from the words: a keyword list would miss most such tasks and so promise a care it
 * cannot give; the caller declares it.
 */
export function classifyTask(input: ClassifierInput, settings: TaskRoutingSettings): Classification {
  // ~4 characters per token: rough, but only has to compare against a limit.
  const estimatedTokens = Math.ceil(input.text.length / 4);
  const explicit = explicitCategory(input.header, input.metadataCategory);
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

/** The category a request declares (`x-task-category`, else `metadata.category`), if it is one we know. */
export function explicitCategory(header: string | undefined, metadataCategory: unknown): TaskCategory | undefined {
  return normalise(header) ?? normalise(metadataCategory);
}

function normalise(v: unknown): TaskCategory | undefined {
  if (typeof v !== "string") return undefined;
  // "safety-critical" and "Safety_Critical" mean what they say.
  const s = v.trim().toLowerCase().replace(/-/g, "_");
  return (TASK_CATEGORIES as readonly string[]).includes(s) ? (s as TaskCategory) : undefined;
}
