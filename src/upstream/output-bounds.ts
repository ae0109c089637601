import type { UpstreamDelta } from "./chunks.js";
import { UpstreamError } from "./errors.js";

/**
 * How much one upstream answer may carry. Nothing else bounds it but REQUEST_DEADLINE (30 min),
 * and a `stream: false` request holds all of it until the end: a runaway or hostile upstream
 * that keeps sending tool calls (a new one every line, or one whose arguments never end) grew
 * the heap by hundreds of MB in 30 s. Far above any real answer (a model's longest output is a
 * few hundred thousand characters; parallel tool calls come in tens).
 */
export interface OutputBounds {
  /** Distinct tool calls (by `index`) in one answer. */
  maxToolCalls: number;
  /** Characters of one tool call's arguments. */
  maxToolArgumentChars: number;
  /** Characters of answer text and tool-call arguments together. */
  maxOutputChars: number;
}

export const DEFAULT_OUTPUT_BOUNDS: OutputBounds = {
  maxToolCalls: 128,
  maxToolArgumentChars: 4 * 1024 * 1024,
  maxOutputChars: 8 * 1024 * 1024,
};

/**
 * Counts one stream's output as it passes and throws `upstream_output_too_large` the moment a
 * bound is crossed: the stream ends there, its connection is closed, and the failure is the
 * provider's (an upstream that will not stop is broken, whatever it was asked). Its map of tool
 * calls is built at the first tool call: a parked stream holds none.
 */
export class OutputMeter {
  private argumentChars: Map<number, number> | undefined;
  private total = 0;

  constructor(private readonly b: OutputBounds) {}

  count(d: UpstreamDelta): void {
    const b = this.b;
    this.total += d.content?.length ?? 0;
    if (d.toolCalls != null) {
      const argumentChars = (this.argumentChars ??= new Map<number, number>());
      for (const call of d.toolCalls) {
        const chars = call.function?.arguments?.length ?? 0;
        const before = argumentChars.get(call.index);
        if (before === undefined && argumentChars.size >= b.maxToolCalls) throw tooLarge(`more than ${b.maxToolCalls} tool calls in one answer`);
        const now = (before ?? 0) + chars;
        if (now > b.maxToolArgumentChars) throw tooLarge(`a tool call whose arguments passed ${b.maxToolArgumentChars} characters`);
        argumentChars.set(call.index, now);
        this.total += chars;
      }
    }
    if (this.total > b.maxOutputChars) throw tooLarge(`an answer that passed ${b.maxOutputChars} characters of text and tool-call arguments`);
  }
}

function tooLarge(what: string): UpstreamError {
  return new UpstreamError({
    kind: "stream",
    code: "upstream_output_too_large",
    message: `the upstream sent ${what}; the gateway stopped reading it`,
    retryable: false,
  });
}
