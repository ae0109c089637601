/**
 * The separator's phases. Kept apart from the parser so the state machine reads as a table: which
 * phases hold whitespace, and whether reasoning is over. Which markers a phase listens for depends on
 * the family it is in (separator.ts, from formats.ts).
 */

/** Where the stream is. The first six phases mean reasoning-end has not been emitted yet. */
export type Phase =
  /** Nothing but whitespace so far (held): the first signal decides the stream's style. */
  | "start"
  /** Fields style: reasoning arrives in `delta.reasoning*`; content whitespace is held until real content. */
  | "field-reasoning"
  /** Just after an opening marker: whitespace before the reasoning is dropped. */
  | "reasoning-lead"
  /** Inside marked reasoning; the family's close ends it. */
  | "reasoning"
  /** R1 style, content began without a marker: everything up to the family's close is reasoning. */
  | "r1-reasoning"
  /** A harmony stream (gpt-oss), read by the harmony parser; its reasoning is not over yet. */
  | "harmony"
  /** The harmony stream after its reasoning ended. */
  | "harmony-answer"
  /** After a reasoning close: whitespace held to drop the line breaks; a wrapper may open. */
  | "answer-lead"
  /** Just after the answer's wrapper opened: the same line-break rule inside the wrapper. */
  | "final-lead"
  /** Inside the answer's wrapper: text is the answer; only the wrapper's close is looked at. */
  | "final"
  /** After a possible close of the wrapper: it and the whitespace after it are held until text or the end. */
  | "final-close"
  /** The answer with no markup at all (plain, fields, or after a close without a wrapper): passed through. */
  | "verbatim"
  /** `end()` was called; later input is ignored. */
  | "ended";

/** Phases whose whitespace is held (bounded) until the next real character says what it was. */
export type HoldingPhase = "start" | "field-reasoning" | "answer-lead" | "final-lead" | "final-close";

export function isHolding(phase: Phase): phase is HoldingPhase {
  return phase === "start" || phase === "field-reasoning" || phase === "answer-lead" || phase === "final-lead" || phase === "final-close";
}

/** True while reasoning-end is still to come. */
export function beforeReasoningEnd(phase: Phase): boolean {
  return (
    phase === "start" || phase === "field-reasoning" || phase === "reasoning-lead" || phase === "reasoning" || phase === "r1-reasoning" || phase === "harmony"
  );
}
