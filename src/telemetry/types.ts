import type { RequestOutcome, StagedEvent } from "../events/index.js";

/** What a request's span starts with: who asked for what, and the caller's trace to continue. */
export interface RequestStart {
  requestId: string;
  /** The client's own correlation id (`x-client-request-id`), when it sent a plain one. */
  clientRequestId?: string | undefined;
  model: string;
  summaryModel: string;
  stream: boolean;
  /** The request's own fields bound for the upstream (temperature, max_tokens, …). */
  passthrough: Record<string, unknown>;
  /** The messages, recorded only when content capture is on. */
  messages: readonly unknown[];
  /** The caller's W3C trace context and the route it came in on. */
  trace?: IncomingTrace | undefined;
}

/** The W3C trace context headers of an incoming request, and its route. */
export interface IncomingTrace {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
  /** The route template (`/v1/chat/completions`), for `http.route`. */
  route?: string | undefined;
}

/** Where an upstream call goes: the provider and the model it knows the request by. */
export interface CallTarget {
  provider: { id: string; target: { baseUrl: string; kind?: string | undefined } };
  upstreamModel: string;
}

/** What a finished upstream call reported, for its span. */
export interface CallFacts {
  /** The model the upstream says answered (its `model` field), when it said. */
  responseModel?: string | undefined;
  usage?: { prompt_tokens?: number | undefined; completion_tokens?: number | undefined } | undefined;
  finishReason?: string | null | undefined;
}

/** An error as a span records it: its code is `error.type` and the status description (never its message). */
export interface TracedError {
  code: string;
}

/**
 * One upstream call to one provider (one candidate). Its HTTP attempts — the first try and each
 * retry — are spans of their own; the upstream client reports them through `attempt`/`answered`.
 */
export interface CallTrace {
  /** HTTP attempt `n` (1 = the first try) is about to go out: the headers to send with it (`traceparent`). */
  attempt(n: number): Record<string, string>;
  /** That attempt's answer: its HTTP status, or the error that ended it before a usable one. */
  answered(status: number | undefined, error?: TracedError): void;
  /** The call finished (stream read to its end, or body parsed): what it reported. */
  done(facts: CallFacts): void;
  /** The call failed after its last attempt was answered (mid-stream, a body that is not JSON, …). */
  failed(error: TracedError): void;
}

/** Something upstream calls can be children of: the request itself, or a stage. */
export interface CallParent {
  call(target: CallTarget): CallTrace;
}

/** The stages of a request that get spans of their own. */
export type StageName = "prompt_summary" | "reasoning_summary" | "progress_summary" | "research" | "validation";

/** How a stage went, told when it ends; each field is optional, and text is recorded only with content capture on. */
export interface StageFacts {
  error?: TracedError | undefined;
  /** A summary's source: `model`, or `fallback` when the call failed. */
  source?: string | undefined;
  /** Research: how many sources were found. */
  sources?: number | undefined;
  /** Validation: whether the answer matched the schema, and which check this was (1 = first). */
  valid?: boolean | undefined;
  attempt?: number | undefined;
  /** What the stage was given and what it made (captured only with content capture on). */
  input?: string | undefined;
  output?: string | undefined;
}

/** One request's trace: the request span, with a child per stage and per upstream attempt. */
export interface RequestTrace extends CallParent {
  /**
   * Run `work` inside a stage's span, which ends when `work` returns (or its promise settles);
   * `describe` turns the result into the span's facts. A rejection ends the span as an error.
   */
  stage<T>(name: StageName, work: (stage: CallParent) => T, describe?: (result: Awaited<T>) => StageFacts): T;
  /** An event on its way to the client (the span reads finish reasons, usage and, with capture on, the answer). */
  note(e: StagedEvent): void;
  /** The request is over: how it ended for its client. Ends the request span. */
  end(outcome: RequestOutcome, httpStatus: number, error?: TracedError): void;
}

/** Starts request traces; the pipeline's one handle on tracing. */
export interface RequestTracing {
  request(start: RequestStart): RequestTrace;
}
