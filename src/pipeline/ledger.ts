import type { RouteInfo, StagedEvent, Timings, Usage, RequestOutcome } from "../events/index.js";
import type { Candidate, RoutePlan } from "../providers/index.js";
import type { PipelineDeps } from "./deps.js";
import { buildRecord, type RecordInput } from "./record.js";
import type { StagedRequest } from "./request.js";

/**
 * What one request's run reports when it is over — the request-log record, the metrics sample
 * and the one log line — filled in as the run goes. The run orchestrates; this only keeps count.
 */
export class RunLedger {
  route: RouteInfo | null = null;
  served: Candidate | undefined;
  /** Upstream calls made for the answer: every first try, retry and failover counts once. */
  calls = 0;
  /** Of those, the calls that repeated one to the same provider. */
  retries = 0;
  failovers = 0;
  /** When the upstream's headers came in, ms since the start. */
  ttfb: number | null = null;
  usage: Usage | undefined;
  /** Encrypted reasoning items the upstream sent (counted, never shown). */
  encryptedReasoning = 0;
  /** Summary steps that fell back (their `error` events). */
  private fallbacks = 0;
  private readonly summaries: { prompt?: { text: string; source: string }; reasoning?: { text: string; source: string } } = {};
  /** The answer as sent, kept only with LOG_BODIES. */
  private readonly answer: string[] = [];

  constructor(
    private readonly req: StagedRequest,
    private readonly deps: Pick<PipelineDeps, "observer" | "logger" | "logBodies" | "wallClock">,
    private readonly startedAt: number,
  ) {}

  /** A call to a provider begins (a first try on it). */
  call(provider: string, plan: Pick<RoutePlan, "strategy" | "reason">): void {
    this.calls++;
    this.route = { provider, strategy: plan.strategy, reason: plan.reason, attempts: this.calls };
  }

  /** The call in progress is made again (a retry before the first byte). */
  retried(): void {
    this.calls++;
    this.retries++;
    if (this.route) this.route.attempts = this.calls;
  }

  /** The answer the client gets is this provider's after all (a held, schema-checked one). */
  servedBy(provider: string): void {
    if (this.route) this.route.provider = provider;
  }

  /** What an event on its way to the client means for the record. */
  note(e: StagedEvent): void {
    if (e.event === "summary.prompt") this.summaries.prompt = { text: e.data.text, source: e.data.source };
    else if (e.event === "summary.reasoning") this.summaries.reasoning = { text: e.data.text, source: e.data.source };
    else if (e.event === "output.delta" && this.deps.logBodies) this.answer.push(e.data.text);
    else if (e.event === "error" && e.data.stage !== "upstream") {
      this.fallbacks++;
      this.deps.observer.summaryFallback({ id: this.req.requestId, stage: e.data.stage, code: e.data.code });
    }
  }

  /** The one record and log line of this request. */
  finish(
    outcome: RequestOutcome,
    httpStatus: number,
    timings: Timings,
    more: { err?: { code: string; message: string } | undefined } & Pick<RecordInput, "validation" | "discarded">,
  ): void {
    const { deps, req } = this;
    const { err } = more;
    deps.observer.finished(
      buildRecord({
        req,
        startedAt: this.startedAt,
        endedAt: deps.wallClock(),
        outcome,
        httpStatus,
        err,
        timings,
        ttfb: this.ttfb,
        usage: this.usage ?? null,
        route: this.route,
        served: this.served,
        summaries: this.summaries,
        fallbacks: this.fallbacks,
        failovers: this.failovers,
        retries: this.retries,
        answer: deps.logBodies ? this.answer.join("") : null,
        logBodies: deps.logBodies,
        validation: more.validation,
        discarded: more.discarded,
      }),
    );
    const log = {
      request_id: req.requestId,
      ...(req.clientRequestId !== undefined && { client_request_id: req.clientRequestId }),
      model: req.model,
      provider: this.route?.provider,
      outcome,
      status: httpStatus,
      timings,
      usage: this.usage,
      calls: this.calls,
      retries: this.retries,
      failovers: this.failovers,
      ...(this.encryptedReasoning > 0 && { encrypted_reasoning: this.encryptedReasoning }),
    };
    if (outcome === "ok") deps.logger.info(log, "request completed");
    else if (outcome === "client_closed") deps.logger.info(log, "client disconnected; upstream and summaries cancelled");
    else deps.logger.warn({ ...log, code: err?.code, err: err?.message }, "request failed");
  }
}
