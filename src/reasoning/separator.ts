/**
 * Push parser that splits an upstream chat stream into reasoning and answer (SPEC §3).
 *
 * Shaped like eventsource-parser's `createParser`: a closure over a few state variables, fed chunk by chunk,
 * doing O(chunk) work per push. The only text ever held back is a possible partial tag (at most
 * {@link MAX_PARTIAL_TAG} characters, the vercel/ai `getPotentialStartIndex` idea) and, in `auto` mode, the
 * undecided text described below.
 *
 * Trade-off of `auto` mode: content that starts without a tag could be R1-style reasoning (a lone
 * `</think>` will follow) or a plain answer (nothing will follow). Guessing wrong would either leak
 * reasoning to the user or show the answer as reasoning, so `auto` holds that text until a
 * `</think>`/`</analysis>`/`<final>` proves it was reasoning, or until `end()` proves it was the answer.
 * Plain models in `auto` mode therefore get their whole answer at the end of the stream; configure them as
 * `tags` (answer streams live) or `fields` in MODEL_CAPABILITIES.
 *
 * A `<analysis>` that is closed without a following `<final>` is followed by the answer (as with
 * `<think>…</think>answer`); "missing `<final>`" means the reasoning never closes, so all of it is reasoning.
 */
import type { DeltaInput, ParsedPart, ReasoningSeparator, SeparatorOptions } from "./types.js";
import { ANSWER_TAGS, matchTagAt, NO_TAGS, REASONING_TAGS, skipWhitespace, START_TAGS, TAG, UNDECIDED_TAGS, type Tag } from "./tags.js";

/** Where the stream is. Phases before `answer-lead` mean reasoning-end has not been emitted yet. */
type Phase =
  /** Only whitespace so far: the first content (or reasoning field) decides the style. */
  | "start"
  /** Reasoning arrives in `delta.reasoning`; the first non-blank content ends it. */
  | "field-reasoning"
  /** Just after `<analysis>`/`<think>`: whitespace before the reasoning is dropped. */
  | "reasoning-lead"
  /** Inside tagged reasoning, or R1 reasoning in `think` mode. */
  | "reasoning"
  /** `auto` mode, content began without a tag: kept until a closing tag or `end()` decides what it was. */
  | "undecided"
  /** Reasoning is over; whitespace and `<final>` before the answer are dropped. */
  | "answer-lead"
  /** Answer text streams through, `<final>`/`</final>` stripped. */
  | "answer"
  /** After `</final>`: whitespace is set aside and dropped unless real text follows. */
  | "after-final"
  /** `end()` was called; later input is ignored. */
  | "ended";

function tagsFor(phase: Phase): readonly Tag[] {
  switch (phase) {
    case "start":
      return START_TAGS;
    case "reasoning-lead":
    case "reasoning":
      return REASONING_TAGS;
    case "undecided":
      return UNDECIDED_TAGS;
    case "answer-lead":
    case "answer":
    case "after-final":
      return ANSWER_TAGS;
    default:
      return NO_TAGS;
  }
}

/** True while reasoning-end is still to come. */
function beforeReasoningEnd(phase: Phase): boolean {
  return phase === "start" || phase === "field-reasoning" || phase === "reasoning-lead" || phase === "reasoning" || phase === "undecided";
}

/**
 * Creates a separator for one upstream stream. Feed every delta to `push()` and call `end()` once; the parts
 * come out in stream order, with `reasoning-end` exactly once and before any `answer`. Adjacent parts of the
 * same type within one call's result are merged.
 */
export function createReasoningSeparator(options: SeparatorOptions): ReasoningSeparator {
  const { mode } = options;
  // Reasoning fields are trusted only where the capability says they carry reasoning.
  const acceptFields = options.useReasoningFields && (mode === "auto" || mode === "fields");

  // One explicit state instead of flags, so "reasoning-end sent?" and "what is this text?" cannot disagree.
  let phase: Phase = "start";
  // Tail of the previous content chunk that may be the start of a tag; never longer than MAX_PARTIAL_TAG.
  let pending = "";
  // `undecided` text: it is the answer or the reasoning, so it must be kept until we know which.
  // Fragments, joined once, so a long R1 preamble costs O(n) rather than O(n²).
  let undecided: string[] = [];
  // Whitespace after `</final>`: dropped at the end, but kept if the model writes more answer after it.
  let afterFinalSpace = "";
  // Parts completed by the current push()/end() call.
  let out: ParsedPart[] = [];

  function emit(type: "reasoning" | "answer", text: string): void {
    if (text === "") return;
    const last = out.at(-1);
    if (last !== undefined && last.type !== "reasoning-end" && last.type === type) last.text += text;
    else out.push({ type, text });
  }

  /** Leaves the reasoning phases: undecided text turns out to be reasoning, then reasoning-end. */
  function endReasoning(): void {
    if (phase === "undecided") emit("reasoning", undecided.join(""));
    undecided = [];
    out.push({ type: "reasoning-end" });
    phase = "answer-lead";
  }

  /** Text with no tag in it, starting at a non-blank character when the phase is a lead phase. */
  function onText(text: string): void {
    switch (phase) {
      case "start":
        if (mode === "auto") {
          phase = "undecided";
          undecided.push(text);
        } else if (mode === "think") {
          phase = "reasoning";
          emit("reasoning", text);
        } else {
          // `tags` (and `fields`, which never gets here): untagged content is the answer, streamed live.
          endReasoning();
          phase = "answer";
          emit("answer", text);
        }
        return;
      case "undecided":
        undecided.push(text);
        return;
      case "reasoning-lead":
      case "reasoning":
        phase = "reasoning";
        emit("reasoning", text);
        return;
      case "answer-lead":
      case "answer":
        phase = "answer";
        emit("answer", text);
        return;
      case "after-final":
        emit("answer", afterFinalSpace + text);
        afterFinalSpace = "";
        phase = "answer";
        return;
      default:
        return;
    }
  }

  function onTag(tag: Tag): void {
    if (tag === TAG.analysisOpen || tag === TAG.thinkOpen) phase = "reasoning-lead";
    else if (tag === TAG.finalClose) {
      // A stray `</final>` in undecided text is just dropped; after the answer it starts the tail.
      if (!beforeReasoningEnd(phase)) phase = "after-final";
    } else if (beforeReasoningEnd(phase)) endReasoning();
    // Anything else (`<final>` inside the answer) is stripped and changes nothing.
  }

  /** Processes `text`; unless `eof`, a trailing possible tag is kept in `pending` for the next chunk. */
  function consume(text: string, eof: boolean): void {
    let i = 0;
    while (i < text.length) {
      if (phase === "start" || phase === "field-reasoning" || phase === "reasoning-lead" || phase === "answer-lead" || phase === "after-final") {
        const next = skipWhitespace(text, i);
        if (phase === "after-final") afterFinalSpace += text.slice(i, next);
        i = next;
        if (i >= text.length) return;
        // Content after field reasoning (or any content in `fields` mode) is the answer, whatever it holds.
        if (phase === "field-reasoning" || (phase === "start" && mode === "fields")) endReasoning();
      }
      const lt = text.indexOf("<", i);
      const stop = lt === -1 ? text.length : lt;
      if (stop > i) {
        onText(text.slice(i, stop));
        i = stop;
        continue;
      }
      const match = matchTagAt(text, i, tagsFor(phase));
      if (match.kind === "full") {
        onTag(match.tag);
        i += match.tag.length;
      } else if (match.kind === "partial" && !eof) {
        pending = text.slice(i);
        return;
      } else {
        onText("<");
        i += 1;
      }
    }
  }

  function push(delta: DeltaInput): ParsedPart[] {
    out = [];
    if (phase === "ended") return out;
    const reasoning = delta.reasoning;
    if (acceptFields && reasoning != null && reasoning !== "" && beforeReasoningEnd(phase)) {
      if (phase === "start") phase = "field-reasoning";
      emit("reasoning", reasoning);
    }
    // Reasoning fields that arrive after the answer began are dropped: reasoning-end was already sent.
    const content = delta.content;
    if (content != null && content !== "") {
      const text = pending + content;
      pending = "";
      consume(text, false);
    }
    if (delta.toolCalls && beforeReasoningEnd(phase)) {
      // Undecided text before a tool call was the model talking, not thinking.
      if (phase === "undecided") {
        const answer = undecided.join("");
        undecided = [];
        out.push({ type: "reasoning-end" });
        phase = "answer";
        emit("answer", answer);
      } else endReasoning();
    }
    return out;
  }

  function end(): ParsedPart[] {
    out = [];
    if (phase === "ended") return out;
    const held = pending;
    pending = "";
    consume(held, true); // a partial tag at the very end was just text
    if (phase === "undecided") {
      // Nothing ever closed it: it was a plain answer.
      const answer = undecided.join("");
      undecided = [];
      out.push({ type: "reasoning-end" });
      emit("answer", answer);
    } else if (beforeReasoningEnd(phase)) {
      out.push({ type: "reasoning-end" });
    }
    phase = "ended";
    afterFinalSpace = "";
    return out;
  }

  return { push, end };
}
