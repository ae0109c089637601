/**
 * Markers — the tags, special tokens and phrases reasoning models put around their thinking — and a
 * matcher that can say "this might still become a marker".
 *
 * Matching folds ASCII case only: `toLowerCase()` would let look-alikes such as the Kelvin sign
 * (U+212A) match `k`, and can change a string's length, which would break index arithmetic.
 */

/** An answer wrapper (`<final>…</final>`): its opening marker and the markers that may close it. */
export interface Wrapper {
  open: string;
  closing: MarkerSet;
}

/**
 * A family of reasoning markers (formats.ts builds them): what is recognised inside its reasoning
 * (closes, a close that opens a wrapper, markers to drop) and right after its close (wrappers).
 */
export interface Family {
  name: string;
  inside: MarkerSet;
  after: MarkerSet;
}

/**
 * What a marker means where it is recognised:
 * - `open`: starts reasoning of `family` (only at the start of the content);
 * - `harmony`: a harmony header, after which the harmony parser reads the stream;
 * - `close`: ends the reasoning; `close-wrap` ends it and opens `wrapper` at once (`<final>`);
 * - `start-close`: a close before any reasoning (the reasoning was empty);
 * - `wrap`: opens the answer's `wrapper`; `unwrap`: may close it (held until only whitespace follows);
 * - `inner`: dropped inside the reasoning (Seed-OSS's budget notes).
 */
export type Marker =
  | { role: "open"; text: string; family: Family }
  | { role: "close-wrap" | "wrap"; text: string; wrapper: Wrapper }
  | { role: "close" | "start-close" | "unwrap" | "inner" | "harmony"; text: string };

/**
 * The markers one phase listens for, with a search for where the next one could begin: a character
 * class of their first characters, so plain text is skipped at native speed.
 */
export interface MarkerSet {
  markers: readonly Marker[];
  /** Could a marker begin with this UTF-16 code unit? */
  startsWith(code: number): boolean;
  /** Index of the first position at or after `from` where a marker could begin, or `text.length`. */
  next(text: string, from: number): number;
}

const UPPER_A = 65;
const UPPER_Z = 90;
const CASE_BIT = 32;

/** ASCII lower-casing of one UTF-16 code unit; everything else is compared as is. */
function fold(code: number): number {
  return code >= UPPER_A && code <= UPPER_Z ? code | CASE_BIT : code;
}

function isAsciiLetter(code: number): boolean {
  const f = fold(code);
  return f >= 97 && f <= 122;
}

/** A regular-expression class item for one code unit, escaped so no character is special. */
function classItem(code: number): string {
  return `\\u${code.toString(16).padStart(4, "0")}`;
}

/** The markers, longest first (so a longer marker sharing a prefix wins), with their first-character search. */
export function markerSet(markers: readonly Marker[]): MarkerSet {
  const sorted = [...markers].sort((a, b) => b.text.length - a.text.length);
  const firsts = new Set<number>();
  for (const m of sorted) {
    const c = m.text.charCodeAt(0);
    firsts.add(fold(c));
    if (isAsciiLetter(c)) firsts.add(fold(c) & ~CASE_BIT);
  }
  const pattern = firsts.size === 0 ? undefined : new RegExp(`[${[...firsts].map(classItem).join("")}]`, "g");
  return {
    markers: sorted,
    startsWith: (code) => firsts.has(code),
    next(text, from) {
      if (!pattern) return text.length;
      pattern.lastIndex = from;
      const m = pattern.exec(text);
      return m ? m.index : text.length;
    },
  };
}

export const NO_MARKERS: MarkerSet = markerSet([]);

/**
 * - `full`: `marker` starts at the position and is complete;
 * - `partial`: the text ends inside something that is still a prefix of a marker (hold it back);
 * - `none`: the character at the position is ordinary text.
 */
export type MarkerMatch = { kind: "full"; marker: Marker } | { kind: "partial" } | { kind: "none" };

/**
 * Looks for one of the set's markers at `text[at]`, ignoring ASCII case. Costs at most
 * `markers × longest marker` comparisons, whatever the length of `text`.
 */
export function matchAt(text: string, at: number, set: MarkerSet): MarkerMatch {
  let partial = false;
  for (const marker of set.markers) {
    const t = marker.text;
    let k = 0;
    while (k < t.length && at + k < text.length && fold(text.charCodeAt(at + k)) === fold(t.charCodeAt(k))) k++;
    if (k === t.length) return { kind: "full", marker };
    // Ran out of text while still matching: the next chunk may complete this marker.
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
