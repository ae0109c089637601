/**
 * The separator's phases and what each one listens for. Kept apart from the parser so the state machine
 * reads as a table: which tags a phase matches, whether it holds whitespace, whether reasoning is over.
 */
import { ANSWER_LEAD_TAGS, FINAL_TAGS, NO_TAGS, R1_TAGS, REASONING_TAGS, START_TAGS, type Tag } from "./tags.js";

/** Where the stream is. The first five phases mean reasoning-end has not been emitted yet. */
export type Phase =
  /** Nothing but whitespace so far (held): the first signal decides the stream's style. */
  | "start"
  /** Fields style: reasoning arrives in `delta.reasoning*`; content whitespace is held until real content. */
  | "field-reasoning"
  /** Just after `<analysis>`/`<think>`: whitespace before the reasoning is dropped. */
  | "reasoning-lead"
  /** Inside tagged reasoning; `</analysis>`, `</think>` or `<final>` ends it. */
  | "reasoning"
  /** `think` mode, content began without a tag: everything up to a lone `</think>` is reasoning. */
  | "r1-reasoning"
  /** After a reasoning close: whitespace held to drop the line breaks; `<final>` may open a wrapper. */
  | "answer-lead"
  /** Just after the answer's `<final>`: the same line-break rule inside the wrapper. */
  | "final-lead"
  /** Inside the `<final>` wrapper: text is the answer; only `</final>` is looked at. */
  | "final"
  /** After a `</final>` in the wrapper: it and the whitespace after it are held until text or the end. */
  | "final-close"
  /** The answer with no markup at all (plain, fields, or after a close without `<final>`): passed through. */
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
  return phase === "start" || phase === "field-reasoning" || phase === "reasoning-lead" || phase === "reasoning" || phase === "r1-reasoning";
}

/** The tags a phase recognises; anything else that looks like a tag is text. */
export function tagsFor(phase: Phase): readonly Tag[] {
  switch (phase) {
    case "start":
      return START_TAGS;
    case "reasoning-lead":
    case "reasoning":
      return REASONING_TAGS;
    case "r1-reasoning":
      return R1_TAGS;
    case "answer-lead":
      return ANSWER_LEAD_TAGS;
    case "final-lead":
    case "final":
      return FINAL_TAGS;
    default:
      return NO_TAGS;
  }
}
