import type { Logger } from "pino";
import type { StagedEvent, RequestObserver } from "../events/index.js";
import type { CapabilityRule } from "../reasoning/index.js";
import type { Summarize } from "../summaries/index.js";
import type { RequestTracing } from "../telemetry/index.js";
import type { FailoverDeps } from "./failover.js";
import type { Inflight } from "./inflight.js";
import type { ResearchStep } from "./research.js";
import type { ValidationDeps } from "./validation.js";

/** What one request's run needs from the outside world; app.ts builds it once, tests pass fakes. */
export interface PipelineDeps extends FailoverDeps {
  summarize: Summarize;
  logger: Logger;
  observer: RequestObserver;
  wallClock: () => number;
  maxReasoningChars: number;
  parseReasoningFields: boolean;
  capabilities: readonly CapabilityRule[];
  logBodies: boolean;
  /** REQUEST_DEADLINE: no request runs longer than this, however lively its upstream. */
  deadlineMs: number;
  /** Answer held back before `summary.reasoning` above this pauses reading the upstream. */
  maxHeldChars: number;
  /** Every running request, so shutdown can end them. */
  inflight?: Inflight;
  /** REASONING_PROGRESS_SECONDS in ms: progress summaries while reasoning streams; 0 = off. */
  progressIntervalMs: number;
  /** Research mode's search (SEARCH_URL); absent = research requests are answered without sources. */
  research?: ResearchStep;
  /** Schema-validated answers; absent = `response_format` is only passed upstream, never checked. */
  validation?: ValidationDeps;
  /** OpenTelemetry traces; absent = off. */
  tracing?: RequestTracing;
}

/**
 * Where a request's output goes while it runs: a surface's response writer, or a collector. How
 * the run ended is its result, not a call here: the HTTP edge alone turns it into a status.
 */
/** The run's clock, which its parts read (the run itself: no closure per part). */
export interface RunClock {
  /** Milliseconds since the run began. */
  elapsed(): number;
}

export interface StageSink {
  event(e: StagedEvent): void;
  /** The upstream accepted the request (its headers are in): the response may commit now. */
  accepted?(): void;
  /** The provider now serving the request, for the `x-gateway-provider` header. */
  provider?(id: string): void;
  /** Backpressure: while the client is behind, a promise to await before reading on. */
  ready?(): Promise<void> | undefined;
}
