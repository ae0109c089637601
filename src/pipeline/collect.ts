import type { StagedEvent, Usage, Timings } from "../events/index.js";
import type { UpstreamError } from "../upstream/index.js";
import type { StageSink } from "./run.js";

export interface Collected {
  answer: string;
  promptSummary: { text: string; source: string } | undefined;
  reasoningSummary: { text: string; source: string } | undefined;
  finishReason: string | null;
  usage: Usage | undefined;
  timings: Timings | undefined;
  errors: Extract<StagedEvent, { event: "error" }>["data"][];
  failure: UpstreamError | undefined;
  provider: string | undefined;
}

/** A sink that gathers a whole run, for `stream: false`. */
export function createCollector(): { sink: StageSink; result: Collected } {
  const answer: string[] = [];
  const result: Collected = {
    answer: "",
    promptSummary: undefined,
    reasoningSummary: undefined,
    finishReason: null,
    usage: undefined,
    timings: undefined,
    errors: [],
    failure: undefined,
    provider: undefined,
  };
  const sink: StageSink = {
    event(e) {
      switch (e.event) {
        case "summary.prompt":
          result.promptSummary = { text: e.data.text, source: e.data.source };
          break;
        case "summary.reasoning":
          result.reasoningSummary = { text: e.data.text, source: e.data.source };
          break;
        case "output.delta":
          answer.push(e.data.text);
          break;
        case "output.done":
          result.finishReason = e.data.finish_reason;
          result.usage = e.data.usage;
          result.timings = e.data.timings;
          result.answer = answer.join("");
          break;
        case "error":
          result.errors.push(e.data);
          break;
      }
    },
    fail(e) {
      result.failure = e;
      return e.gatewayStatus;
    },
    provider(id) {
      result.provider = id;
    },
  };
  return { sink, result };
}
