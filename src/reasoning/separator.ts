/**
 * Push parser that splits an upstream chat stream into reasoning and answer (SPEC §3).
 *
 * Shaped like eventsource-parser's `createParser`: a closure over a few state variables, fed chunk by chunk,
 * doing O(chunk) work per push. The first signal decides the stream's style and nothing is reinterpreted
 * afterwards: a reasoning field before any content means fields style (content is the answer, verbatim);
 * content opening with one of the mode's opening markers means that family's marked style (a harmony
 * header hands the stream to the harmony parser); anything else is a plain answer, or — in modes whose
 * chat template opens the reasoning itself (`think`, `seed`, `kimi`) — reasoning up to a lone close.
 * Which markers exist, per family and per mode, is data in formats.ts.
 *
 * The answer is byte-exact. The only markup removed from it is the markers, after a reasoning close the
 * line breaks before the first answer line (its indentation stays), and an answer wrapper around it
 * (`<final>`, `<answer>`, `<response>`, `<|START_RESPONSE|>`).
 *
 * Bounded holds — the only text kept back between pushes:
 * - a possible partial marker: at most {@link MAX_PARTIAL_TAG} characters (each marker at most its own
 *   length less one), plus one high surrogate whose low half is in the next chunk (so no part ever splits
 *   a surrogate pair, which Python clients cannot rejoin); the harmony parser's own, smaller, holds;
 * - held whitespace: before the stream's first real character, before the first answer line, and after a
 *   wrapper's close — at most {@link MAX_HELD_WHITESPACE} characters. One more and the hold is decided as
 *   if text had arrived: the start counts as unmarked content, the answer begins with the held
 *   whitespace, and a held close is emitted as literal text.
 */
import { endsInHighSurrogate, nextLineBreak } from "./chars.js";
import { MODES } from "./formats.js";
import { createHarmonyParser, type HarmonyParser, type HarmonySink } from "./harmony.js";
import { matchAt, NO_MARKERS, skipWhitespace, type Family, type Marker, type MarkerSet, type Wrapper } from "./markers.js";
import { beforeReasoningEnd, isHolding, type Phase } from "./phases.js";
import type { DeltaInput, ParsedPart, ReasoningSeparator, SeparatorOptions } from "./types.js";

export { MAX_PARTIAL_TAG } from "./formats.js";

/** Cap on held whitespace (SPEC §3); an upstream that sends nothing else cannot grow our memory past it. */
export const MAX_HELD_WHITESPACE = 4096;

/**
 * Creates a separator for one upstream stream. Feed every delta to `push()` and call `end()` once; the parts
 * come out in stream order, with `reasoning-end` exactly once and before any `answer`. Adjacent parts of the
 * same type within one call's result are merged.
 */
export function createReasoningSeparator(options: SeparatorOptions): ReasoningSeparator {
  const spec = MODES[options.mode];
  const maxHeld = options.maxHeldWhitespace ?? MAX_HELD_WHITESPACE;
  if (!Number.isInteger(maxHeld) || maxHeld < 0) throw new RangeError(`maxHeldWhitespace must be a non-negative integer, got ${maxHeld}`);
  // `tags` mode asks for tags and trusts only them; elsewhere reasoning fields count unless switched off.
  const acceptFields = options.useReasoningFields && spec.fields;
  const idPrefix = options.toolCallIdPrefix ?? "call_";

  // One explicit state instead of flags, so "reasoning-end sent?" and "what is this text?" cannot disagree.
  // `fields` mode never looks at markers, so it starts where a reasoning field would have put it.
  let phase: Phase = spec.verbatim ? "field-reasoning" : "start";
  // The family whose close, inner markers and wrappers count now (decided by the opening marker).
  let family: Family = spec.startFamily;
  // The answer's wrapper, once one opened.
  let wrapper: Wrapper | undefined;
  // Reads the rest of a harmony stream once its first header was seen.
  let harmony: HarmonyParser | undefined;
  // Tail of the previous content chunk that may be the start of a marker, or a lone high surrogate; never
  // longer than MAX_PARTIAL_TAG + 1.
  let pending = "";
  // Whitespace (and, in `final-close`, the wrapper's close before it) whose meaning the next real
  // character decides; never longer than maxHeld + 1 (plus the close).
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

  /** What the harmony parser writes to: the same parts, with reasoning-end still decided here. */
  const harmonySink: HarmonySink = {
    reasoning: (text) => emit("reasoning", text),
    answer: (text) => emit("answer", text),
    toolCall: (call) => out.push({ type: "tool-call", call }),
    endReasoning: () => {
      if (phase === "harmony") endReasoning("harmony-answer");
    },
    get reasoningEnded() {
      return phase !== "harmony";
    },
  };

  /** The markers the current phase listens for. */
  function markers(): MarkerSet {
    switch (phase) {
      case "start":
        return spec.start;
      case "reasoning-lead":
      case "reasoning":
      case "r1-reasoning":
        return family.inside;
      case "answer-lead":
        return family.after;
      case "final-lead":
      case "final":
        return wrapper?.closing ?? NO_MARKERS;
      default:
        return NO_MARKERS;
    }
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
        // Unmarked content: R1 reasoning where the template opens it, a plain answer (verbatim, live) elsewhere.
        if (spec.implicit) {
          family = spec.implicit;
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
        // Only a held wrapper close under a cap smaller than the close gets here: it is past the cap already.
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

  function onMarker(marker: Marker, raw: string): void {
    switch (marker.role) {
      case "open":
        held = "";
        family = marker.family;
        phase = "reasoning-lead";
        return;
      case "harmony":
        held = "";
        phase = "harmony";
        harmony = createHarmonyParser(harmonySink, idPrefix);
        harmony.push(raw);
        return;
      case "start-close":
        held = "";
        endReasoning("answer-lead");
        return;
      case "close":
        endReasoning("answer-lead");
        return;
      case "close-wrap":
        wrapper = marker.wrapper;
        endReasoning("final-lead");
        return;
      case "wrap":
        // At the start the reasoning was empty; after a close it is over already. The whitespace
        // before the wrapper goes with it.
        held = "";
        wrapper = marker.wrapper;
        if (phase === "start") endReasoning("final-lead");
        else phase = "final-lead";
        return;
      case "inner":
        return;
      case "unwrap":
        // The close only if nothing but whitespace follows it: hold it to see.
        releaseHeld();
        held = raw;
        phase = "final-close";
        return;
    }
  }

  /** Processes `text`; unless `eof`, a trailing possible marker is kept in `pending` for the next chunk. */
  function consume(text: string, eof: boolean): void {
    let i = 0;
    while (i < text.length) {
      if (phase === "verbatim") {
        emit("answer", text.slice(i));
        return;
      }
      if (phase === "harmony" || phase === "harmony-answer") {
        harmony?.push(text.slice(i));
        return;
      }
      let set = markers();
      if (phase === "reasoning-lead" || isHolding(phase)) {
        const next = skipWhitespace(text, i);
        if (next > i) {
          i = phase === "reasoning-lead" ? next : hold(text, i, next);
          continue;
        }
        if (phase === "reasoning-lead") phase = "reasoning";
        else if (phase === "field-reasoning" || phase === "final-close" || !set.startsWith(text.charCodeAt(i))) {
          release();
          continue;
        }
        set = markers();
      }
      if (!set.startsWith(text.charCodeAt(i))) {
        // Only reasoning, r1-reasoning and final get here: their text runs to the next possible marker.
        const stop = set.next(text, i + 1);
        emit(phase === "final" ? "answer" : "reasoning", text.slice(i, stop));
        i = stop;
        continue;
      }
      const match = matchAt(text, i, set);
      if (match.kind === "full") {
        const length = match.marker.text.length;
        onMarker(match.marker, text.slice(i, i + length));
        i += length;
      } else if (match.kind === "partial" && !eof) {
        pending = text.slice(i);
        return;
      } else if (isHolding(phase)) {
        release(); // a character that begins no marker is the first real character
      } else {
        emit(phase === "final" ? "answer" : "reasoning", text.charAt(i));
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

  /** A tool call ends reasoning: a partial marker was text after all, held whitespace was nothing. */
  function onToolCalls(): void {
    const rest = pending;
    pending = "";
    consume(rest, true);
    if (!beforeReasoningEnd(phase)) return;
    held = "";
    endReasoning(phase === "start" || phase === "field-reasoning" ? "verbatim" : phase === "harmony" ? "harmony-answer" : "answer-lead");
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
    consume(rest, true); // a partial marker at the very end was just text
    harmony?.end();
    // Whitespace alone decides nothing; it is what an unmarked start would have made of it.
    if (phase === "start" || phase === "field-reasoning") release();
    if (beforeReasoningEnd(phase)) endReasoning("ended");
    else if (phase === "answer-lead" || phase === "final-lead") releaseHeld(); // the last line's indentation
    // In `final-close` the held close and its whitespace were the wrapper's close: dropped.
    phase = "ended";
    held = "";
    fieldCarry = "";
    return out;
  }

  return { push, end };
}
