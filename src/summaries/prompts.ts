/**
 * The instructions. The mock upstream tells the calls apart by them ("bullet" marks the
 * reasoning summary, "progress" a progress summary), so a change here is a change to the mock's
 * contract too.
 */
export const PROMPT_SUMMARY_INSTRUCTION =
  "You summarise user requests. In one or two short sentences, say what the user is asking for. " + "Do not answer the request. Reply with the summary only.";

export const REASONING_SUMMARY_INSTRUCTION =
  "You summarise a model's reasoning for the person waiting on its answer. " +
  'Write two or three short bullet points, each starting with "- ", covering the main steps and conclusion. ' +
  "Reply with the bullets only.";

/** The whole summary input is bounded; a summary of 50 000 characters of prompt needs no more. */
export const MAX_SUMMARY_INPUT_CHARS = 12_000;

export const PROGRESS_SUMMARY_INSTRUCTION =
  "You report the progress of a model that is still thinking, for the person waiting on it. " +
  "From the latest part of its reasoning, write one line: a heading of two to five words in **bold**, " +
  "a colon, then one short sentence on what it is working on now. Reply with that line only.";
