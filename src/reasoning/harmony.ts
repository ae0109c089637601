/**
 * Push parser for gpt-oss's harmony format, streamed raw in `delta.content` by servers that do not
 * parse it (a server started without a reasoning parser, a plain completion template):
 *
 *     <|channel|>analysis<|message|>…chain of thought…<|end|>
 *     <|start|>assistant<|channel|>commentary<|message|>…preamble…<|end|>
 *     <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{…}<|call|>
 *     <|start|>assistant<|channel|>final<|message|>…answer…<|return|>
 *
 * A message's header (between `<|start|>` or the first `<|channel|>` and `<|message|>`) decides where
 * its text goes: the `analysis` channel is reasoning; a recipient (`to=functions.NAME`) on any other
 * channel is a tool call; `final`, and `commentary` without a recipient (a preamble, meant for the
 * user), are the answer. Markers and headers never reach either. Reasoning that comes after the
 * answer began is dropped, as late reasoning fields are.
 *
 * Bounded: a possible partial marker (at most 12 characters) and one header (at most
 * {@link MAX_HARMONY_HEADER}; a longer one is not harmony, and the text from there on is the answer).
 */
import { markerSet, matchAt, skipWhitespace, type Marker, type MarkerSet } from "./markers.js";
import type { ParsedToolCall } from "./types.js";

/** A header longer than this is not a harmony header. Real ones are under 100 characters. */
export const MAX_HARMONY_HEADER = 256;

/** Where the parser puts what it finds; the separator owns reasoning-end. */
export interface HarmonySink {
  reasoning(text: string): void;
  answer(text: string): void;
  toolCall(call: ParsedToolCall): void;
  /** Called before the first answer text or tool call (idempotent on the separator's side). */
  endReasoning(): void;
  /** Whether reasoning-end was already sent. */
  readonly reasoningEnded: boolean;
}

export interface HarmonyParser {
  /** Feed content text (never ending in half a surrogate pair; the separator keeps that back). */
  push(text: string): void;
  /** End of stream: a partial marker is text, an unfinished header is dropped. */
  end(): void;
}

const START = "<|start|>";
const CHANNEL = "<|channel|>";
const MESSAGE = "<|message|>";

const m = (text: string): Marker => ({ role: "close", text });
const ENDS = ["<|end|>", "<|return|>", "<|call|>"];
/** Between messages and inside a body: a new header begins, or the message ends. */
const BODY = markerSet([START, CHANNEL, ...ENDS].map(m));
/** Inside a header: only its end matters (a new start restarts it; an end abandons it). */
const HEADER = markerSet([MESSAGE, START, ...ENDS].map(m));

type State =
  /** Between messages: whitespace is dropped, a header is expected. */
  | "between"
  /** Reading a header up to `<|message|>`. */
  | "header"
  /** Inside a message's text. */
  | "body"
  /** Not harmony after all (an over-long header): everything from here is the answer. */
  | "plain";

type Destination = "reasoning" | "answer" | "tool";

/** Where a message goes, from its header. */
function destinationOf(header: string): { to: Destination; name: string } {
  const channel = /<\|channel\|>\s*([^\s<]+)/.exec(header)?.[1];
  const recipient = /(?:^|\s|>)to=([^\s<]+)/.exec(header)?.[1];
  if (channel === "analysis") return { to: "reasoning", name: "" };
  if (recipient !== undefined) return { to: "tool", name: recipient.replace(/^functions\./, "") };
  return { to: "answer", name: "" };
}

/** Creates a harmony parser writing into `sink`; tool-call ids are `idPrefix` plus their index. */
export function createHarmonyParser(sink: HarmonySink, idPrefix: string): HarmonyParser {
  let state: State = "between";
  // A possible partial marker at the end of the last chunk.
  let pending = "";
  // The header read so far (bounded by MAX_HARMONY_HEADER).
  let header = "";
  // Where the current message's text goes, and the tool call it belongs to.
  let to: Destination = "reasoning";
  let toolIndex = -1;
  // Text that is neither header nor body (between messages) follows the last message's destination.
  let last: Destination = "reasoning";
  // Whether reasoning text was written: the next analysis message is set off from it by a line break.
  let reasoningWritten = false;

  function text(dest: Destination, t: string): void {
    if (t === "") return;
    if (dest === "reasoning") {
      if (sink.reasoningEnded) return;
      sink.reasoning(t);
      reasoningWritten = true;
    } else if (dest === "answer") {
      sink.endReasoning();
      sink.answer(t);
    } else sink.toolCall({ index: toolIndex, function: { arguments: t } });
  }

  function beginHeader(raw: string): void {
    state = "header";
    header = raw;
  }

  function beginBody(): void {
    const d = destinationOf(header);
    header = "";
    state = "body";
    to = d.to;
    last = d.to === "tool" ? "answer" : d.to;
    // Several analysis messages are one chain of thought; a line break keeps their sentences apart.
    if (d.to === "reasoning" && reasoningWritten && !sink.reasoningEnded) sink.reasoning("\n");
    if (d.to === "tool") {
      sink.endReasoning();
      toolIndex += 1;
      sink.toolCall({ index: toolIndex, id: `${idPrefix}${toolIndex}`, type: "function", function: { name: d.name, arguments: "" } });
    }
  }

  function onMarker(marker: string): void {
    if (marker === MESSAGE) return beginBody();
    if (marker === START) return beginHeader("");
    if (marker === CHANNEL) return beginHeader(CHANNEL);
    // <|end|>, <|return|>, <|call|>: the message (or an unfinished header) is over.
    header = "";
    state = "between";
  }

  /** Adds header text; past the cap this was never a harmony header, and it is the answer from here. */
  function addHeader(t: string): void {
    header += t;
    if (header.length <= MAX_HARMONY_HEADER) return;
    state = "plain";
    const rest = header;
    header = "";
    text("answer", rest);
  }

  function consume(input: string, eof: boolean): void {
    let i = 0;
    while (i < input.length) {
      if (state === "plain") {
        text("answer", input.slice(i));
        return;
      }
      if (state === "between") {
        i = skipWhitespace(input, i);
        if (i >= input.length) return;
      }
      const set: MarkerSet = state === "header" ? HEADER : BODY;
      if (!set.startsWith(input.charCodeAt(i))) {
        const stop = set.next(input, i + 1);
        const t = input.slice(i, stop);
        if (state === "header") addHeader(t);
        else text(state === "body" ? to : last, t);
        i = stop;
        continue;
      }
      const match = matchAt(input, i, set);
      if (match.kind === "full") {
        i += match.marker.text.length;
        onMarker(match.marker.text);
      } else if (match.kind === "partial" && !eof) {
        pending = input.slice(i);
        return;
      } else {
        const t = input[i] ?? "";
        if (state === "header") addHeader(t);
        else text(state === "body" ? to : last, t);
        i += 1;
      }
    }
  }

  return {
    push(t) {
      const input = pending + t;
      pending = "";
      consume(input, false);
    },
    end() {
      const rest = pending;
      pending = "";
      consume(rest, true);
      // An unfinished header is markup, not text.
      header = "";
    },
  };
}
