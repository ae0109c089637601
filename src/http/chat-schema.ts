import { z } from "zod";
import { researchField } from "../research/index.js";
import { MAX_MODEL_NAME_CHARS } from "./json-body.js";

const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"], {
    message: "must be one of system, developer, user, assistant, tool, function",
  }),
  // null is legal for assistant messages that carry tool calls.
  content: z.union([z.string(), z.array(z.unknown()), z.null()], { message: "must be a string or an array of content parts" }).optional(),
});

/**
 * The request body at the edge. Only what the gateway reads or must sanity-check is declared;
 * everything else is kept (loose) and passed to the upstream.
 */
export const chatRequestSchema = z.looseObject({
  model: z
    .string({ message: "is required and must be a string" })
    .trim()
    .min(1, "must not be empty")
    .max(MAX_MODEL_NAME_CHARS, `must be at most ${MAX_MODEL_NAME_CHARS} characters`),
  messages: z.array(message, { message: "is required and must be an array" }).min(1, "must not be empty"),
  // The default differs by surface (staged: true; OpenAI: false); the route applies it.
  stream: z.boolean({ message: "must be true or false" }).optional(),
  // Several choices would need several staged streams; say so rather than answer one.
  n: z.literal(1, { message: "only 1 is supported (one answer per request)" }).optional(),
  summary_model: z
    .string({ message: "must be a string" })
    .trim()
    .min(1, "must not be empty")
    .max(MAX_MODEL_NAME_CHARS, `must be at most ${MAX_MODEL_NAME_CHARS} characters`)
    .optional(),
  // Research mode, a gateway extension: `true` or `{max_results, query}`; never sent upstream.
  research: researchField.optional(),
  // The model's own reasoning besides the summaries, a gateway extension; never sent upstream.
  include_reasoning: z.boolean({ message: "must be true or false" }).optional(),
  temperature: z.number({ message: "must be a number" }).min(0).max(2).optional(),
  top_p: z.number({ message: "must be a number" }).min(0).max(1).optional(),
  max_tokens: z.number({ message: "must be a number" }).int().positive().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)], { message: "must be a string or up to 4 strings" }).optional(),
});

export type ChatRequestBody = z.infer<typeof chatRequestSchema>;

/** `messages[0].role: must be …` — the path in the body, then the problem. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
      return `${path || "body"}: ${i.message}`;
    })
    .join("; ");
}
