import type { EventData, Source, ToolCallDelta, Usage, Timings, ValidationReport } from "../events/index.js";
import type { StageSink } from "./deps.js";

/** A whole tool call, as a non-streamed `message.tool_calls[]` carries it. */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface Collected {
  answer: string;
  toolCalls: ToolCall[];
  promptSummary: { text: string; source: string } | undefined;
  progress: { index: number; text: string }[];
  reasoningSummary: { text: string; source: string } | undefined;
  /** The model's own reasoning (`include_reasoning: true`), "" otherwise. */
  reasoning: string;
  sources: Source[];
  validation: ValidationReport | undefined;
  finishReason: string | null;
  usage: Usage | undefined;
  timings: Timings | undefined;
  errors: EventData<"error">[];
  provider: string | undefined;
}

/**
 * Merges streamed tool-call fragments into whole calls: the first fragment of an `index` opens
 * the call (id, name), later ones append to its arguments, exactly as sent.
 */
export function createToolCallAssembler() {
  const calls: ToolCall[] = [];
  const byIndex = new Map<number, ToolCall>();
  return {
    calls,
    add(fragments: readonly ToolCallDelta[]): void {
      for (const f of fragments) {
        let call = byIndex.get(f.index);
        if (!call) {
          call = { id: f.id ?? "", type: "function", function: { name: f.function?.name ?? "", arguments: "" } };
          byIndex.set(f.index, call);
          calls.push(call);
        } else {
          if (f.id && !call.id) call.id = f.id;
          if (f.function?.name && !call.function.name) call.function.name = f.function.name;
        }
        if (f.function?.arguments) call.function.arguments += f.function.arguments;
      }
    },
  };
}

/** A sink that gathers a whole run, for `stream: false` on every surface. */
export function createCollector(): { sink: StageSink; result: Collected } {
  const answer: string[] = [];
  const reasoning: string[] = [];
  const tools = createToolCallAssembler();
  const result: Collected = {
    answer: "",
    toolCalls: tools.calls,
    promptSummary: undefined,
    progress: [],
    reasoningSummary: undefined,
    reasoning: "",
    sources: [],
    validation: undefined,
    finishReason: null,
    usage: undefined,
    timings: undefined,
    errors: [],
    provider: undefined,
  };
  const sink: StageSink = {
    event(e) {
      switch (e.event) {
        case "summary.prompt":
          result.promptSummary = { text: e.data.text, source: e.data.source };
          break;
        case "summary.progress":
          result.progress.push({ index: e.data.index, text: e.data.text });
          break;
        case "research.sources":
          result.sources = e.data.sources;
          break;
        case "reasoning.delta":
          reasoning.push(e.data.text);
          break;
        case "summary.reasoning":
          result.reasoningSummary = { text: e.data.text, source: e.data.source };
          result.reasoning = reasoning.join("");
          break;
        case "output.delta":
          answer.push(e.data.text);
          break;
        case "output.tool_calls":
          tools.add(e.data.tool_calls);
          break;
        case "output.done":
          result.finishReason = e.data.finish_reason;
          result.usage = e.data.usage;
          result.timings = e.data.timings;
          result.validation = e.data.validation;
          if (e.data.sources) result.sources = e.data.sources;
          result.answer = answer.join("");
          break;
        case "error":
          result.errors.push(e.data);
          break;
        case "upstream.retry":
          break;
      }
    },
    provider(id) {
      result.provider = id;
    },
  };
  return { sink, result };
}
