/**
 * Push parser that splits an upstream chat stream into reasoning and answer (SPEC §3).
 *
 * Shaped like eventsource-parser's `createParser` (one object with a few state fields), fed chunk by chunk,
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
import { MODES, type ModeSpec } from "./formats.js";
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
  return new Separator(options);
}

/**
 * The separator's state and steps as one class: its methods live once on the prototype rather than
 * as ≈ 20 closures in every open stream.
 */
class Separator implements ReasoningSeparator {
  private readonly spec: ModeSpec;
  private readonly maxHeld: number;
  // `tags` mode asks for tags and trusts only them; elsewhere reasoning fields count unless switched off.
  private readonly acceptFields: boolean;
  private readonly idPrefix: string;
  // One explicit state instead of flags, so "reasoning-end sent?" and "what is this text?" cannot disagree.
  // `fields` mode never looks at markers, so it starts where a reasoning field would have put it.
  private phase: Phase;
  // The family whose close, inner markers and wrappers count now (decided by the opening marker).
  private family: Family;
  // The answer's wrapper, once one opened.
  private wrapper: Wrapper | undefined;
  // Reads the rest of a harmony stream once its first header was seen.
  private harmony: HarmonyParser | undefined;
  // Tail of the previous content chunk that may be the start of a marker, or a lone high surrogate; never
  // longer than MAX_PARTIAL_TAG + 1.
  private pending = "";
  // Whitespace (and, in `final-close`, the wrapper's close before it) whose meaning the next real
  // character decides; never longer than maxHeld + 1 (plus the close).
  private held = "";
  // A reasoning field's trailing high surrogate, kept for its low half so reasoning parts stay well-formed.
  private fieldCarry = "";
  // Parts completed by the current push()/end() call.
  private out: ParsedPart[] = [];

  constructor(options: SeparatorOptions) {
    const spec = MODES[options.mode];
    const maxHeld = options.maxHeldWhitespace ?? MAX_HELD_WHITESPACE;
    if (!Number.isInteger(maxHeld) || maxHeld < 0) throw new RangeError(`maxHeldWhitespace must be a non-negative integer, got ${maxHeld}`);
    this.spec = spec;
    this.maxHeld = maxHeld;
    this.acceptFields = options.useReasoningFields && spec.fields;
    this.idPrefix = options.toolCallIdPrefix ?? "call_";
    this.phase = spec.verbatim ? "field-reasoning" : "start";
    this.family = spec.startFamily;
  }

  private emit(type: "reasoning" | "answer", text: string): void {
    if (text === "") return;
    const last = this.out.at(-1);
    if (last !== undefined && last.type === type) last.text += text;
    else this.out.push({ type, text });
  }

  /** The markers the current phase listens for. */
  private markers(): MarkerSet {
    switch (this.phase) {
      case "start":
        return this.spec.start;
      case "reasoning-lead":
      case "reasoning":
      case "r1-reasoning":
        return this.family.inside;
      case "answer-lead":
        return this.family.after;
      case "final-lead":
      case "final":
        return this.wrapper?.closing ?? NO_MARKERS;
      default:
        return NO_MARKERS;
    }
  }

  private endReasoning(next: Phase): void {
    this.emit("reasoning", this.fieldCarry);
    this.fieldCarry = "";
    this.out.push({ type: "reasoning-end" });
    this.phase = next;
  }

  private releaseHeld(as: "reasoning" | "answer" = "answer"): void {
    this.emit(as, this.held);
    this.held = "";
  }

  /** A holding phase ends: a real character follows, or the hold passed its cap. */
  private release(): void {
    switch (this.phase) {
      case "start":
        // Unmarked content: R1 reasoning where the template opens it, a plain answer (verbatim, live) elsewhere.
        if (this.spec.implicit) {
          this.family = this.spec.implicit;
          this.phase = "r1-reasoning";
          this.releaseHeld("reasoning");
        } else {
          this.endReasoning("verbatim");
          this.releaseHeld();
        }
        return;
      case "field-reasoning":
        this.endReasoning("verbatim");
        this.releaseHeld();
        return;
      case "answer-lead":
        this.phase = "verbatim";
        this.releaseHeld();
        return;
      case "final-lead":
      case "final-close":
        this.phase = "final";
        this.releaseHeld();
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
  private hold(text: string, from: number, to: number): number {
    const dropLineBreaks = this.phase === "answer-lead" || this.phase === "final-lead";
    let i = from;
    while (i < to) {
      const lineEnd = dropLineBreaks ? nextLineBreak(text, i, to) : to;
      const room = this.maxHeld + 1 - this.held.length;
      if (room <= 0) {
        // Only a held wrapper close under a cap smaller than the close gets here: it is past the cap already.
        this.release();
        return i;
      }
      if (lineEnd - i >= room) {
        this.held += text.slice(i, i + room);
        this.release();
        return i + room;
      }
      this.held += text.slice(i, lineEnd);
      if (lineEnd === to) return to;
      this.held = "";
      i = lineEnd + 1;
    }
    return to;
  }

  private onMarker(marker: Marker, raw: string): void {
    switch (marker.role) {
      case "open":
        this.held = "";
        this.family = marker.family;
        this.phase = "reasoning-lead";
        return;
      case "harmony":
        this.held = "";
        this.phase = "harmony";
        this.harmony = createHarmonyParser(this.harmonySink(), this.idPrefix);
        this.harmony.push(raw);
        return;
      case "start-close":
        this.held = "";
        this.endReasoning("answer-lead");
        return;
      case "close":
        this.endReasoning("answer-lead");
        return;
      case "close-wrap":
        this.wrapper = marker.wrapper;
        this.endReasoning("final-lead");
        return;
      case "wrap":
        // At the start the reasoning was empty; after a close it is over already. The whitespace
        // before the wrapper goes with it.
        this.held = "";
        this.wrapper = marker.wrapper;
        if (this.phase === "start") this.endReasoning("final-lead");
        else this.phase = "final-lead";
        return;
      case "inner":
        return;
      case "unwrap":
        // The close only if nothing but whitespace follows it: hold it to see.
        this.releaseHeld();
        this.held = raw;
        this.phase = "final-close";
        return;
    }
  }

  /** Processes `text`; unless `eof`, a trailing possible marker is kept in `pending` for the next chunk. */
  private consume(text: string, eof: boolean): void {
    let i = 0;
    while (i < text.length) {
      if (this.phase === "verbatim") {
        this.emit("answer", text.slice(i));
        return;
      }
      if (this.phase === "harmony" || this.phase === "harmony-answer") {
        this.harmony?.push(text.slice(i));
        return;
      }
      let set = this.markers();
      if (this.phase === "reasoning-lead" || isHolding(this.phase)) {
        const next = skipWhitespace(text, i);
        if (next > i) {
          i = this.phase === "reasoning-lead" ? next : this.hold(text, i, next);
          continue;
        }
        if (this.phase === "reasoning-lead") this.phase = "reasoning";
        else if (this.phase === "field-reasoning" || this.phase === "final-close" || !set.startsWith(text.charCodeAt(i))) {
          this.release();
          continue;
        }
        set = this.markers();
      }
      if (!set.startsWith(text.charCodeAt(i))) {
        // Only reasoning, r1-reasoning and final get here: their text runs to the next possible marker.
        const stop = set.next(text, i + 1);
        this.emit(this.phase === "final" ? "answer" : "reasoning", text.slice(i, stop));
        i = stop;
        continue;
      }
      const match = matchAt(text, i, set);
      if (match.kind === "full") {
        const length = match.marker.text.length;
        this.onMarker(match.marker, text.slice(i, i + length));
        i += length;
      } else if (match.kind === "partial" && !eof) {
        this.pending = text.slice(i);
        return;
      } else if (isHolding(this.phase)) {
        this.release(); // a character that begins no marker is the first real character
      } else {
        this.emit(this.phase === "final" ? "answer" : "reasoning", text.charAt(i));
        i += 1;
      }
    }
  }

  private onReasoningField(reasoning: string): void {
    // A reasoning field before any real content decides the fields style.
    if (this.phase === "start" && this.pending === "") this.phase = "field-reasoning";
    let text = this.fieldCarry + reasoning;
    this.fieldCarry = "";
    if (endsInHighSurrogate(text)) {
      this.fieldCarry = text.slice(-1);
      text = text.slice(0, -1);
    }
    this.emit("reasoning", text);
  }

  private onContent(content: string): void {
    let text = this.pending + content;
    this.pending = "";
    let carry = "";
    if (endsInHighSurrogate(text)) {
      carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    this.consume(text, false);
    this.pending += carry;
  }

  /** A tool call ends reasoning: a partial marker was text after all, held whitespace was nothing. */
  private onToolCalls(): void {
    const rest = this.pending;
    this.pending = "";
    this.consume(rest, true);
    if (!beforeReasoningEnd(this.phase)) return;
    this.held = "";
    this.endReasoning(this.phase === "start" || this.phase === "field-reasoning" ? "verbatim" : this.phase === "harmony" ? "harmony-answer" : "answer-lead");
  }

  push(delta: DeltaInput): ParsedPart[] {
    this.out = [];
    if (this.phase === "ended") return this.out;
    const { reasoning, content } = delta;
    // Reasoning fields that arrive after the answer began are dropped: reasoning-end was already sent.
    if (this.acceptFields && reasoning != null && reasoning !== "" && beforeReasoningEnd(this.phase)) this.onReasoningField(reasoning);
    if (content != null && content !== "") this.onContent(content);
    if (delta.toolCalls === true && beforeReasoningEnd(this.phase)) this.onToolCalls();
    return this.out;
  }

  end(): ParsedPart[] {
    this.out = [];
    if (this.phase === "ended") return this.out;
    const rest = this.pending;
    this.pending = "";
    this.consume(rest, true); // a partial marker at the very end was just text
    this.harmony?.end();
    // Whitespace alone decides nothing; it is what an unmarked start would have made of it.
    if (this.phase === "start" || this.phase === "field-reasoning") this.release();
    if (beforeReasoningEnd(this.phase)) this.endReasoning("ended");
    else if (this.phase === "answer-lead" || this.phase === "final-lead") this.releaseHeld(); // the last line's indentation
    // In `final-close` the held close and its whitespace were the wrapper's close: dropped.
    this.phase = "ended";
    this.held = "";
    this.fieldCarry = "";
    return this.out;
  }

  /** What the harmony parser writes to: the same parts, with reasoning-end still decided here. Built only for a harmony stream. */
  private harmonySink(): HarmonySink {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the sink's getter needs the separator, not itself
    const self = this;
    return {
      reasoning: (text) => self.emit("reasoning", text),
      answer: (text) => self.emit("answer", text),
      toolCall: (call) => self.out.push({ type: "tool-call", call }),
      endReasoning: () => {
        if (self.phase === "harmony") self.endReasoning("harmony-answer");
      },
      get reasoningEnded() {
        return self.phase !== "harmony";
      },
    };
  }
}
