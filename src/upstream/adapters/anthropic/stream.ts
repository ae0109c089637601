/**
 * Anthropic's streaming events → deltas. Each content block is announced with its type, so the
 * block index decides what its deltas are: `thinking` → reasoning, `text` → answer, `tool_use` →
 * a tool call (id and name at the start, arguments from `input_json_delta`). `message_delta`
 * carries the stop reason and the output token count; `message_stop` ends the stream.
 */
import type { ToolCallDelta } from "../../../events/index.js";
import type { UpstreamDelta } from "../../chunks.js";
import { UpstreamError, errorFields, isRecord } from "../../errors.js";
import { openAiUsage } from "../completion.js";
import { count, delta, parseFrame, truncated } from "../deltas.js";
import type { StreamDecoder } from "../types.js";

/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
export function finishReason(stop: unknown): string | undefined {
  if (typeof stop !== "string") return undefined;
  if (stop === "max_tokens" || stop === "model_context_window_exceeded") return "length";
  if (stop === "tool_use") return "tool_calls";
  if (stop === "refusal") return "content_filter";
  return "stop"; // end_turn, stop_sequence, pause_turn and anything newer
}

/** Token counts so far: input (with cache reads and writes, which are input too) and output. */
export interface UsageParts {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

export function readUsage(u: unknown, into: UsageParts): UsageParts {
  if (!isRecord(u)) return into;
  // message_delta repeats some of these cumulatively; a field it leaves out keeps its value.
  return {
    input: count(u.input_tokens) ?? into.input,
    cacheRead: count(u.cache_read_input_tokens) ?? into.cacheRead,
    cacheWrite: count(u.cache_creation_input_tokens) ?? into.cacheWrite,
    output: count(u.output_tokens) ?? into.output,
  };
}

export const usageOf = (u: UsageParts) => openAiUsage({ prompt: u.input + u.cacheRead + u.cacheWrite, completion: u.output, cached: u.cacheRead });

/**
 * Error types that say "try again" (529 overloaded, 500 api_error, 429 rate_limit_error): the same
 * ones retried before the stream, so a client is told it may retry after one mid-stream too.
 */
const TRANSIENT = new Set(["overloaded_error", "api_error", "rate_limit_error"]);

/** An `error` event's payload (or an error-shaped message) as the stream failure it is. */
export function streamError(payload: unknown): UpstreamError {
  const f = errorFields(payload);
  return new UpstreamError({
    kind: "stream",
    message: f.message ?? "the upstream reported an error inside the stream",
    code: f.type ?? "upstream_stream_error",
    ...(f.type !== undefined && { type: f.type }),
    retryable: f.type !== undefined && TRANSIENT.has(f.type),
  });
}

type Block = { type: "thinking" | "text" | "other" } | { type: "tool_use"; tool: number; sentArgs: boolean };

export function createAnthropicDecoder(): StreamDecoder {
  // Content blocks by their index in the message: what their deltas mean.
  const blocks = new Map<number, Block>();
  // Tool calls are numbered 0, 1, … in OpenAI's shape, independent of block indexes.
  let tools = 0;
  let usage: UsageParts = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
  let stopped = false;

  function blockStart(index: number, block: Record<string, unknown>): UpstreamDelta[] {
    if (block.type === "tool_use") {
      const tool = tools++;
      blocks.set(index, { type: "tool_use", tool, sentArgs: false });
      const call: ToolCallDelta = { index: tool, type: "function", function: { name: typeof block.name === "string" ? block.name : "", arguments: "" } };
      if (typeof block.id === "string") call.id = block.id;
      return [delta({ toolCalls: [call] })];
    }
    if (block.type === "thinking" || block.type === "text") {
      blocks.set(index, { type: block.type });
      // The start usually carries empty text; a non-empty one is the first piece.
      const text = block.type === "thinking" ? block.thinking : block.text;
      if (typeof text === "string" && text !== "") return [delta(block.type === "thinking" ? { reasoning: text } : { content: text })];
      return [];
    }
    blocks.set(index, { type: "other" }); // redacted_thinking, server tools: nothing to show
    // Encrypted thinking is counted, like OpenRouter's encrypted details.
    return block.type === "redacted_thinking" ? [delta({ encryptedReasoning: 1 })] : [];
  }

  function blockDelta(index: number, d: Record<string, unknown>): UpstreamDelta[] {
    const block = blocks.get(index);
    if (d.type === "text_delta" && typeof d.text === "string") return [delta({ content: d.text })];
    if (d.type === "thinking_delta" && typeof d.thinking === "string") return [delta({ reasoning: d.thinking })];
    if (d.type === "input_json_delta" && block?.type === "tool_use" && typeof d.partial_json === "string" && d.partial_json !== "") {
      block.sentArgs = true;
      return [delta({ toolCalls: [{ index: block.tool, function: { arguments: d.partial_json } }] })];
    }
    return []; // signature_delta, citations_delta: not text for anyone
  }

  function blockStop(index: number): UpstreamDelta[] {
    const block = blocks.get(index);
    // A tool without parameters may stream no input at all; OpenAI clients expect "{}".
    if (block?.type === "tool_use" && !block.sentArgs) return [delta({ toolCalls: [{ index: block.tool, function: { arguments: "{}" } }] })];
    return [];
  }

  return {
    push(frame) {
      const payload = parseFrame(frame.data);
      if (!isRecord(payload)) return { deltas: [], done: false };
      const type = typeof payload.type === "string" ? payload.type : frame.event;
      const index = count(payload.index) ?? -1;
      switch (type) {
        case "message_start":
          usage = readUsage(isRecord(payload.message) ? payload.message.usage : undefined, usage);
          return { deltas: [], done: false };
        case "content_block_start":
          return { deltas: isRecord(payload.content_block) ? blockStart(index, payload.content_block) : [], done: false };
        case "content_block_delta":
          return { deltas: isRecord(payload.delta) ? blockDelta(index, payload.delta) : [], done: false };
        case "content_block_stop":
          return { deltas: blockStop(index), done: false };
        case "message_delta": {
          usage = readUsage(payload.usage, usage);
          const stop = isRecord(payload.delta) ? finishReason(payload.delta.stop_reason) : undefined;
          return { deltas: [delta({ finishReason: stop, usage: usageOf(usage) })], done: false };
        }
        case "message_stop":
          stopped = true;
          return { deltas: [], done: true };
        case "error":
          throw streamError(payload);
        default:
          return { deltas: [], done: false }; // ping, and event types added later
      }
    },
    end() {
      if (!stopped) throw truncated("message_stop");
      return [];
    },
  };
}
