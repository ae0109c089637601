/**
 * The staged events: everything the pipeline emits to a client flows through this one union.
 * The SSE writer (`encodeEvent`) is the only place that turns them into text.
 */

export type Stage = "prompt_summary" | "reasoning_summary" | "upstream";

export type SummarySource = "model" | "fallback";
export type ReasoningSummarySource = SummarySource | "empty";

/** Milliseconds since the request was accepted; `null` when the stage never happened. */
export interface Timings {
  prompt_summary: number | null;
  reasoning_end: number | null;
  reasoning_summary: number | null;
  first_output: number | null;
  total: number;
}

export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  [key: string]: unknown;
}

export interface RouteInfo {
  provider: string;
  strategy: string;
  reason: string;
  attempts: number;
}

export type StagedEvent =
  | { event: "summary.prompt"; data: { request_id: string; text: string; source: SummarySource } }
  | { event: "summary.reasoning"; data: { request_id: string; text: string; source: ReasoningSummarySource } }
  | { event: "output.delta"; data: { request_id: string; text: string } }
  | {
      event: "output.done";
      data: { request_id: string; finish_reason: string | null; usage?: Usage; timings: Timings; route?: RouteInfo };
    }
  | {
      event: "error";
      data: { request_id: string; stage: Stage; message: string; code: string; retryable: boolean };
    };

export type StagedEventName = StagedEvent["event"];
