/**
 * Push parser that splits an upstream chat stream into reasoning and answer (SPEC §3).
 *
 * Shaped like eventsource-parser's `createParser`: a closure over a few state variables, fed chunk by chunk,
 * doing O(chunk) work per push. The first signal decides the stream's style and nothing is reinterpreted
 * afterwards: a reasoning field before any content means fields style (content is the answer, verbatim);
 * content opening with a reasoning tag means tag style; anything else is a plain answer (`auto`, `tags`,
 * `fields`) or R1-style reasoning up to a lone `</think>` (`think`).
 *
 * The answer is byte-exact. The only markup removed from it is, after a reasoning-closing tag, the line
 * breaks before the first answer line (its indentation stays) and a `<final>…</final>` wrapper around it.
 *
 * Bounded holds — the only text kept back between pushes:
 * - a possible partial tag: at most {@link MAX_PARTIAL_TAG} characters, plus one high surrogate whose low
 *   half is in the next chunk (so no part ever splits a surrogate pair, which Python clients cannot rejoin);
 * - held whitespace: before the stream's first real character, before the first answer line, and after a
 *   `</final>` — at most {@link MAX_HELD_WHITESPACE} characters. One more and the hold is decided as if
 *   text had arrived: the start counts as untagged content, the answer begins with the held whitespace,
 *   and a held `</final>` is emitted as literal text.
 */
import { endsInHighSurrogate, nextLineBreak } from "./chars.js";
import { beforeReasoningEnd, isHolding, tagsFor, type Phase } from "./phases.js";
import { matchTagAt, skipWhitespace, TAG, type Tag } from "./tags.js";
import type { DeltaInput, ParsedPart, ReasoningSeparator, SeparatorOptions } from "./types.js";

export { MAX_PARTIAL_TAG } from "./tags.js";

/** Cap on held whitespace (SPEC §3); an upstream that sends nothing else cannot grow our memory past it. */
export const MAX_HELD_WHITESPACE = 4096;

const LT = 0x3c; // "<"

/**
 * Creates a separator for one upstream stream. Feed every delta to `push()` and call `end()` once; the parts
 * come out in stream order, with `reasoning-end` exactly once and before any `answer`. Adjacent parts of the
 * same type within one call's result are merged.
 */
export function createReasoningSeparator(options: SeparatorOptions): ReasoningSeparator {
  const { mode } = options;
  const maxHeld = options.maxHeldWhitespace ?? MAX_HELD_WHITESPACE;
  if (!Number.isInteger(maxHeld) || maxHeld < 0) throw new RangeError(`maxHeldWhitespace must be a non-negative integer, got ${maxHeld}`);
  // `tags` mode asks for tags and trusts only them; elsewhere reasoning fields count unless switched off.
  const acceptFields = options.useReasoningFields && mode !== "tags";

  // One explicit state instead of flags, so "reasoning-end sent?" and "what is this text?" cannot disagree.
  // `fields` mode never looks at tags, so it starts where a reasoning field would have put it.
  let phase: Phase = mode === "fields" ? "field-reasoning" : "start";
  // Tail of the previous content chunk that may be the start of a tag, or a lone high surrogate; never
  // longer than MAX_PARTIAL_TAG + 1.
  let pending = "";
  // Whitespace (and, in `final-close`, the `</final>` before it) whose meaning the next real character
  // decides; never longer than maxHeld + 1.
  let held = "";
  // A reasoning field's trailing high surrogate, kept for its low half so reasoning parts stay well-formed.
  let fieldCarry = "";
  // Parts completed by the current push()/end() call.
  let out: ParsedPart[] = [];

  function emit(type: "reasoning" | "answer", text: string): void {
    if (text === "") return;
    const last = out.at(-1);
    if (last !== undefined && last.type === type) last.text += text;
    else out.push({ type, text });
  }

  function endReasoning(next: Phase): void {
    emit("reasoning", fieldCarry);
    fieldCarry = "";
    out.push({ type: "reasoning-end" });
    phase = next;
  }

  function releaseHeld(as: "reasoning" | "answer" = "answer"): void {
    emit(as, held);
    held = "";
  }

  /** A holding phase ends: a real character follows, or the hold passed its cap. */
  function release(): void {
    switch (phase) {
      case "start":
        // Untagged content: R1 reasoning in `think` mode, a plain answer (verbatim, live) everywhere else.
        if (mode === "think") {
          phase = "r1-reasoning";
          releaseHeld("reasoning");
        } else {
          endReasoning("verbatim");
          releaseHeld();
        }
        return;
      case "field-reasoning":
        endReasoning("verbatim");
        releaseHeld();
        return;
      case "answer-lead":
        phase = "verbatim";
        releaseHeld();
        return;
      case "final-lead":
      case "final-close":
        phase = "final";
        releaseHeld();
        return;
      default:
        return;
    }
  }

  /**
   * Holds the whitespace `text[from, to)`. After a reasoning close only the current line's indentation is
   * kept, line breaks are dropped. Returns where it stopped: `to`, or just past the character that took
   * the hold over its cap (the hold is released there, so the result never depends on chunking).
   */
  function hold(text: string, from: number, to: number): number {
    const dropLineBreaks = phase === "answer-lead" || phase === "final-lead";
    let i = from;
    while (i < to) {
      const lineEnd = dropLineBreaks ? nextLineBreak(text, i, to) : to;
      const room = maxHeld + 1 - held.length;
      if (room <= 0) {
        // Only a held `</final>` under a cap smaller than the tag gets here: it is past the cap already.
        release();
        return i;
      }
      if (lineEnd - i >= room) {
        held += text.slice(i, i + room);
        release();
        return i + room;
      }
      held += text.slice(i, lineEnd);
      if (lineEnd === to) return to;
      held = "";
      i = lineEnd + 1;
    }
    return to;
  }

  function onTag(tag: Tag, raw: string): void {
    switch (phase) {
      case "start":
        held = "";
        if (tag === TAG.analysisOpen || tag === TAG.thinkOpen) phase = "reasoning-lead";
        else endReasoning(tag === TAG.finalOpen ? "final-lead" : "answer-lead");
        return;
      case "reasoning-lead":
      case "reasoning":
      case "r1-reasoning":
        endReasoning(tag === TAG.finalOpen ? "final-lead" : "answer-lead");
        return;
      case "answer-lead":
        // `<final>` as the answer's first text: the wrapper, dropped with the whitespace before it.
        held = "";
        phase = "final-lead";
        return;
      case "final-lead":
      case "final":
        // `</final>` is the wrapper's close only if nothing but whitespace follows it: hold it to see.
        releaseHeld();
        held = raw;
        phase = "final-close";
        return;
      default:
        return;
    }
  }

  /** Processes `text`; unless `eof`, a trailing possible tag is kept in `pending` for the next chunk. */
  function consume(text: string, eof: boolean): void {
    let i = 0;
    while (i < text.length) {
      if (phase === "verbatim") {
        emit("answer", text.slice(i));
        return;
      }
      if (phase === "reasoning-lead" || isHolding(phase)) {
        const next = skipWhitespace(text, i);
        if (next > i) {
          i = phase === "reasoning-lead" ? next : hold(text, i, next);
          continue;
        }
        if (phase === "reasoning-lead") phase = "reasoning";
        else if (phase === "field-reasoning" || phase === "final-close" || text.charCodeAt(i) !== LT) {
          release();
          continue;
        }
      }
      if (text.charCodeAt(i) !== LT) {
        // Only reasoning, r1-reasoning and final get here: their text runs to the next "<".
        const lt = text.indexOf("<", i);
        const stop = lt === -1 ? text.length : lt;
        emit(phase === "final" ? "answer" : "reasoning", text.slice(i, stop));
        i = stop;
        continue;
      }
      const match = matchTagAt(text, i, tagsFor(phase));
      if (match.kind === "full") {
        onTag(match.tag, text.slice(i, i + match.tag.length));
        i += match.tag.length;
      } else if (match.kind === "partial" && !eof) {
        pending = text.slice(i);
        return;
      } else if (isHolding(phase)) {
        release(); // a "<" that is no tag is the first real character
      } else {
        emit(phase === "final" ? "answer" : "reasoning", "<");
        i += 1;
      }
    }
  }

  function onReasoningField(reasoning: string): void {
    // A reasoning field before any real content decides the fields style.
    if (phase === "start" && pending === "") phase = "field-reasoning";
    let text = fieldCarry + reasoning;
    fieldCarry = "";
    if (endsInHighSurrogate(text)) {
      fieldCarry = text.slice(-1);
      text = text.slice(0, -1);
    }
    emit("reasoning", text);
  }

  function onContent(content: string): void {
    let text = pending + content;
    pending = "";
    let carry = "";
    if (endsInHighSurrogate(text)) {
      carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    consume(text, false);
    pending += carry;
  }

  /** A tool call ends reasoning: a partial tag was text after all, held whitespace was nothing. */
  function onToolCalls(): void {
    const rest = pending;
    pending = "";
    consume(rest, true);
    if (!beforeReasoningEnd(phase)) return;
    held = "";
    endReasoning(phase === "start" || phase === "field-reasoning" ? "verbatim" : "answer-lead");
  }

  function push(delta: DeltaInput): ParsedPart[] {
    out = [];
    if (phase === "ended") return out;
    const { reasoning, content } = delta;
    // Reasoning fields that arrive after the answer began are dropped: reasoning-end was already sent.
    if (acceptFields && reasoning != null && reasoning !== "" && beforeReasoningEnd(phase)) onReasoningField(reasoning);
    if (content != null && content !== "") onContent(content);
    if (delta.toolCalls === true && beforeReasoningEnd(phase)) onToolCalls();
    return out;
  }

  function end(): ParsedPart[] {
    out = [];
    if (phase === "ended") return out;
    const rest = pending;
    pending = "";
    consume(rest, true); // a partial tag at the very end was just text
    // Whitespace alone decides nothing; it is what an untagged start would have made of it.
    if (phase === "start" || phase === "field-reasoning") release();
    if (beforeReasoningEnd(phase)) endReasoning("ended");
    else if (phase === "answer-lead" || phase === "final-lead") releaseHeld(); // the last line's indentation
    // In `final-close` the held `</final>` and its whitespace were the wrapper's close: dropped.
    phase = "ended";
    held = "";
    fieldCarry = "";
    return out;
  }

  return { push, end };
}
