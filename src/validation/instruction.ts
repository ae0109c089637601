import type { AnswerFormat } from "./format.js";

/** Longest schema restated in the instruction; a longer one is cut (the upstream still has `response_format`). */
const MAX_SCHEMA_CHARS = 16_000;

/**
 * The system message of a constrained retry: the schema restated, and what the last answer got
 * wrong, with the one rule a model that wrapped its JSON in prose or fences needs to hear.
 */
export function constrainedInstruction(format: AnswerFormat, problems: readonly string[]): string {
  const what =
    format.type === "json_object"
      ? "Your answer must be a single JSON object."
      : format.schema === undefined
        ? "Your answer must be valid JSON."
        : `Your answer must be JSON that matches this JSON Schema${format.name ? ` ("${format.name}")` : ""}:\n${schemaText(format.schema)}`;
  const wrong = problems.length > 0 ? `\n\nA previous answer was rejected:\n${problems.map((p) => `- ${p}`).join("\n")}` : "";
  return `${what}${wrong}\n\nReturn only JSON that matches it: no prose, no code fences, nothing before or after the JSON.`;
}

function schemaText(schema: Record<string, unknown> | boolean): string {
  const text = JSON.stringify(schema);
  return text.length <= MAX_SCHEMA_CHARS ? text : `${text.slice(0, MAX_SCHEMA_CHARS)}… (cut)`;
}
