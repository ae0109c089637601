/**
 * The tags the separator understands and a matcher that can say "this might still become a tag".
 *
 * Matching folds ASCII case only: `toLowerCase()` would let look-alikes such as the Kelvin sign (U+212A)
 * match `k`, and can change a string's length, which would break index arithmetic.
 */

/** Every recognised tag, lower-case. */
export const TAG = {
  analysisOpen: "<analysis>",
  analysisClose: "</analysis>",
  thinkOpen: "<think>",
  thinkClose: "</think>",
  finalOpen: "<final>",
  finalClose: "</final>",
} as const;

export type Tag = (typeof TAG)[keyof typeof TAG];

/**
 * Before any content (every mode but `fields`): an opening tag starts tagged reasoning; a closing tag or
 * `<final>` says the reasoning is already over (and was empty).
 */
export const START_TAGS: readonly Tag[] = [TAG.analysisOpen, TAG.thinkOpen, TAG.finalOpen, TAG.thinkClose, TAG.analysisClose];
/** Inside tagged reasoning; `<final>` also ends it, for models that forget `</analysis>`. */
export const REASONING_TAGS: readonly Tag[] = [TAG.analysisClose, TAG.thinkClose, TAG.finalOpen];
/** R1-style reasoning (`think` mode, no opening tag) ends only at `</think>`. */
export const R1_TAGS: readonly Tag[] = [TAG.thinkClose];
/** Between a reasoning close and the answer's first character, `<final>` may open the answer's wrapper. */
export const ANSWER_LEAD_TAGS: readonly Tag[] = [TAG.finalOpen];
/** Inside a `<final>` wrapper only its close is looked for; whether it was the close is decided later. */
export const FINAL_TAGS: readonly Tag[] = [TAG.finalClose];
export const NO_TAGS: readonly Tag[] = [];

/**
 * The longest text ever held back while waiting to see whether it is a tag: one character short of the
 * longest tag (a complete tag is consumed at once).
 */
export const MAX_PARTIAL_TAG = Math.max(...Object.values(TAG).map((t) => t.length)) - 1;

/**
 * - `full`: `tag` starts at the position and is complete;
 * - `partial`: the text ends inside something that is still a prefix of a tag (hold it back);
 * - `none`: the `<` at the position is ordinary text.
 */
export type TagMatch = { kind: "full"; tag: Tag } | { kind: "partial" } | { kind: "none" };

const UPPER_A = 65;
const UPPER_Z = 90;
const CASE_BIT = 32;

/** ASCII lower-casing of one UTF-16 code unit; everything else is compared as is. */
function fold(code: number): number {
  return code >= UPPER_A && code <= UPPER_Z ? code | CASE_BIT : code;
}

/**
 * Looks for one of `tags` at `text[at]` (which the caller has found to be `<`), case-insensitively.
 * Costs at most `tags.length × longest tag` comparisons, whatever the length of `text`.
 */
export function matchTagAt(text: string, at: number, tags: readonly Tag[]): TagMatch {
  let partial = false;
  for (const tag of tags) {
    let k = 0;
    while (k < tag.length && at + k < text.length && fold(text.charCodeAt(at + k)) === tag.charCodeAt(k)) k++;
    if (k === tag.length) return { kind: "full", tag };
    // Ran out of text while still matching: the next chunk may complete this tag.
    if (at + k === text.length) partial = true;
  }
  return partial ? { kind: "partial" } : { kind: "none" };
}

/** Sticky, so skipping whitespace looks only at the characters it skips. */
const WHITESPACE_RUN = /\s*/y;

/** Index of the first non-whitespace character at or after `from` (or `text.length`). */
export function skipWhitespace(text: string, from: number): number {
  WHITESPACE_RUN.lastIndex = from;
  WHITESPACE_RUN.exec(text);
  return WHITESPACE_RUN.lastIndex;
}
