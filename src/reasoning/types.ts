import type { CapabilityMode } from "../config/index.js";

/**
 * What the separator hands to the pipeline, in stream order.
 * - `reasoning`: a piece of reasoning text (tags removed);
 * - `reasoning-end`: reasoning is over (emitted exactly once per stream, possibly with no reasoning before it);
 * - `answer`: a piece of the final answer, byte for byte as the upstream sent it apart from the markup
 *   SPEC §3 names (a leading `<final>` wrapper and the line breaks after a reasoning-closing tag).
 *   Never emitted before `reasoning-end`; never ends between the halves of a surrogate pair unless the
 *   stream itself does;
 * - `tool-call`: a fragment of a tool call found in the raw text (see {@link ParsedToolCall}).
 */
export type ParsedPart =
  { type: "reasoning"; text: string } | { type: "reasoning-end" } | { type: "answer"; text: string } | { type: "tool-call"; call: ParsedToolCall };

/**
 * A tool call the model wrote in its raw text (harmony's `to=functions.NAME` messages), as one
 * fragment in OpenAI's streamed `delta.tool_calls[]` shape: the first fragment of a call has its
 * id and name, later ones append to the arguments. Always after `reasoning-end`.
 */
export interface ParsedToolCall {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

/** One upstream delta as the separator sees it: content plus whichever reasoning field was present. */
export interface DeltaInput {
  content?: string | null;
  /** `delta.reasoning_content` or `delta.reasoning`, already picked by the caller; null/"" = absent. */
  reasoning?: string | null;
  /**
   * True when the delta carries `tool_calls`. A model that calls a tool has stopped reasoning, so this
   * ends reasoning (after the delta's own content and reasoning are processed) if it has not ended yet.
   */
  toolCalls?: boolean;
}

export interface ReasoningSeparator {
  /** Feed one delta; returns the parts it completes. Pure: no I/O, no timers. */
  push(delta: DeltaInput): ParsedPart[];
  /** End of stream: flush what was held back (a partial tag becomes text) and close reasoning. */
  end(): ParsedPart[];
}

export interface SeparatorOptions {
  mode: CapabilityMode;
  /** ENABLE_PARSE_REASONING: when false, reasoning fields are ignored. */
  useReasoningFields: boolean;
  /** Cap on held whitespace (default MAX_HELD_WHITESPACE); small values let tests reach it cheaply. */
  maxHeldWhitespace?: number;
  /** Ids of tool calls found in raw text are this plus their index (default `call_`). */
  toolCallIdPrefix?: string;
}
