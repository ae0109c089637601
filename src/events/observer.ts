import type { RouteInfo, Stage, Timings, Usage, ValidationReport } from "./types.js";

/** How a request ended, from the gateway's point of view. */
export type RequestOutcome =
  | "ok" // the answer was delivered whole (output.done sent, or the JSON answer)
  | "upstream_error" // failed before the stream began: the client got the failure's status
  | "stream_error" // failed after the stream began (HTTP 200 already sent): an in-stream error
  | "client_closed" // the client went away first (status 499 if nothing was sent, else 200)
  | "aborted" // the gateway ended it: shutdown, REQUEST_DEADLINE, or a client too slow to read
  | "rejected"; // refused before any upstream call (validation, allowlist, auth, limits)

/** Failures the gateway or its upstream caused (not the client's mistake or choice, nor shutdown). */
export function isFailure(outcome: RequestOutcome): boolean {
  return outcome === "upstream_error" || outcome === "stream_error";
}

/** Every outcome, in the order dashboards list them. */
export const REQUEST_OUTCOMES: readonly RequestOutcome[] = ["ok", "upstream_error", "stream_error", "client_closed", "aborted", "rejected"];

/** One finished request: what the request log stores and the metrics count. */
export interface RequestRecord {
  id: string;
  startedAt: Date;
  endedAt: Date;
  model: string;
  summaryModel: string;
  stream: boolean;
  provider: string | null;
  route: RouteInfo | null;
  outcome: RequestOutcome;
  httpStatus: number;
  errorCode: string | null;
  errorMessage: string | null;
  timings: Timings;
  /** When the upstream first sent headers, ms since start (time to first byte). */
  upstreamTtfbMs: number | null;
  usage: Usage | null;
  costUsd: number | null;
  promptSummary: { text: string; source: string } | null;
  reasoningSummary: { text: string; source: string } | null;
  summaryFallbacks: number;
  retries: number;
  failovers: number;
  /** Only when LOG_BODIES=true. */
  requestBody: unknown;
  answer: string | null;
  /** The name of the API key the request came with; absent when keys are off or none was used. */
  keyName?: string;
  /** Schema-validated answers (`response_format`): the report and each checked answer's provider; absent otherwise. */
  validation?: ValidationRecord;
}

/** One checked answer, for the request log. */
export interface ValidationTry {
  provider: string;
  /** Asked with the constrained instruction (the schema restated). */
  constrained: boolean;
  valid: boolean;
}

/** What the request log keeps of a schema-checked request: the report, and which provider gave each checked answer. */
export type ValidationRecord = ValidationReport & { tries: ValidationTry[] };

/** One checked answer (`response_format`), and what the gateway does next when it failed. */
export interface ValidationEvent {
  id: string;
  provider: string;
  valid: boolean;
  /** 1-based among the request's checked answers. */
  attempt: number;
  /** The validator's errors, when invalid. */
  errors?: string[];
  /** After an invalid answer: the same provider once more, another provider, or no more attempts. */
  next?: { action: "retry" } | { action: "escalate"; to: string } | { action: "give_up" };
}

/**
 * What the pipeline tells the outside world while it works. Metrics, logs and the request log
 * implement it; the pipeline never knows which are listening.
 */
export interface RequestObserver {
  started(info: { id: string; model: string; stream: boolean }): void;
  retry(info: { id: string; provider: string; attempt: number; status: number | undefined; code: string }): void;
  failover(info: { id: string; from: string; to: string; reason: string }): void;
  summaryFallback(info: { id: string; stage: Exclude<Stage, "upstream">; code: string }): void;
  /** What one progress-summary tick did (optional: most observers do not care). */
  progress?(info: { id: string; outcome: "sent" | "skipped_busy" | "failed" | "cancelled"; latencyMs?: number }): void;
  /** A schema-checked answer was judged (optional: most observers do not care). */
  validation?(info: ValidationEvent): void;
  /**
   * A model in `auto` mode answered plainly with a lone `</think>` in its answer: R1-style
   * reasoning the gateway did not recognise went to the user as answer text (optional).
   */
  unrecognisedReasoning?(info: { id: string; model: string; upstreamModel: string; provider: string }): void;
  finished(record: RequestRecord): void;
}

/** An observer that ignores everything: the default, and handy in tests. */
export const noopObserver: RequestObserver = {
  started: () => undefined,
  retry: () => undefined,
  failover: () => undefined,
  summaryFallback: () => undefined,
  finished: () => undefined,
};
