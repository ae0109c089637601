/**
 * The staged events: everything the pipeline emits to a client flows through this one union.
 * Each surface (the staged SSE dialect, OpenAI chat chunks, the Responses API, the collected
 * `stream:false` bodies) is an encoder of it; none of them adds meaning of its own.
 */

/** Where an `error` event comes from. */
export type Stage = "prompt_summary" | "reasoning_summary" | "upstream" | "research" | "validation";

export type SummarySource = "model" | "fallback";
export type ReasoningSummarySource = SummarySource | "empty";

/** Milliseconds since the request was accepted; `null` when the stage never happened. */
export interface Timings {
  prompt_summary: number | null;
  reasoning_end: number | null;
  reasoning_summary: number | null;
  first_output: number | null;
  total: number;
  /** When each `summary.progress` went out (absent when progress summaries are off). */
  progress?: number[];
  /** When the research step finished (absent without research mode). */
  research?: number | null;
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

/**
 * One fragment of a tool call, in OpenAI's streamed `delta.tool_calls[]` shape: the first
 * fragment of a call carries `id`, `type` and `function.name`; later ones append to
 * `function.arguments`. `index` says which call a fragment belongs to.
 */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

/** A search result the answer may cite as `[n]` (research mode). */
export interface Source {
  /** 1-based, the number the model was told to cite. */
  index: number;
  title: string;
  url: string;
  snippet: string;
}

/** How a schema-checked answer fared (`response_format` with a schema). */
export interface ValidationReport {
  valid: boolean;
  attempts: number;
  escalated: boolean;
  errors?: string[];
}

export type StagedEvent =
  | { event: "summary.prompt"; data: { request_id: string; text: string; source: SummarySource } }
  | { event: "research.sources"; data: { request_id: string; query: string; sources: Source[] } }
  | { event: "summary.progress"; data: { request_id: string; index: number; text: string; source: SummarySource } }
  | {
      /**
       * The model's own reasoning text, markers removed, as it streams (only for a request with
       * `include_reasoning: true`): between `summary.prompt` and `summary.reasoning`.
       */
      event: "reasoning.delta";
      data: { request_id: string; text: string };
    }
  | { event: "summary.reasoning"; data: { request_id: string; text: string; source: ReasoningSummarySource } }
  | { event: "output.delta"; data: { request_id: string; text: string } }
  | { event: "output.tool_calls"; data: { request_id: string; tool_calls: ToolCallDelta[] } }
  | {
      event: "output.done";
      data: {
        request_id: string;
        finish_reason: string | null;
        usage?: Usage;
        timings: Timings;
        route?: RouteInfo;
        sources?: Source[];
        validation?: ValidationReport;
      };
    }
  | {
      /**
       * The upstream failed in a way worth another try and the gateway is waiting to retry it:
       * sent only once the stream has begun, so the client sees progress instead of silence.
       */
      event: "upstream.retry";
      data: { request_id: string; provider: string; attempt: number; max_retries: number; delay_ms: number; code: string; message: string };
    }
  | {
      event: "error";
      data: { request_id: string; stage: Stage; message: string; code: string; retryable: boolean };
    };

export type StagedEventName = StagedEvent["event"];

/** The data of one event, by name. */
export type EventData<K extends StagedEventName> = Extract<StagedEvent, { event: K }>["data"];
