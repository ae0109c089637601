import { z } from "zod";
import type { ResearchRequest } from "../pipeline/index.js";
import { MAX_QUERY_CHARS } from "./query.js";
import { MAX_RESEARCH_RESULTS } from "./step.js";

const SHAPE = 'must be true, false or {"max_results": N, "query": "…"}';
const RESULTS = `must be a whole number from 1 to ${MAX_RESEARCH_RESULTS}`;

const researchObject = z.strictObject(
  {
    max_results: z.number({ message: RESULTS }).int(RESULTS).min(1, RESULTS).max(MAX_RESEARCH_RESULTS, RESULTS).optional(),
    query: z
      .string({ message: "must be a string" })
      .trim()
      .min(1, "must not be empty")
      .max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`)
      .optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} (max_results, query)` : SHAPE,
  },
);

/**
 * The request field `research` on every surface: `true` (search with the defaults),
 * `{"max_results": N, "query": "…"}`, or `false`/`null`/absent (off). A gateway extension: it
 * is never sent upstream. Parses to the pipeline's ResearchRequest, or undefined when off.
 */
export const researchField = z
  .preprocess((v) => (v === true ? {} : v === false || v === null ? undefined : v), researchObject.optional())
  .transform(
    (v): ResearchRequest | undefined =>
      v && { ...(v.max_results !== undefined && { maxResults: v.max_results }), ...(v.query !== undefined && { query: v.query }) },
  );
