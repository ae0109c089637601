import type { Timings } from "../events/index.js";
import type { RoutePlan } from "../providers/index.js";
import { createReasoningCollector, type ReasoningCollector } from "../reasoning/index.js";
import type { SummaryKind, SummaryResult } from "../summaries/index.js";
import type { RequestTrace } from "../telemetry/index.js";
import type { PipelineDeps, RunClock } from "./deps.js";
import { completeVia, logRetry } from "./failover.js";
import type { OrderedEmitter } from "./ordering.js";
import { createProgressReporter, type ProgressDeps, type ProgressOutcome, type ProgressReporter } from "./progress.js";
import type { StagedRequest } from "./request.js";

/**
 * The summaries of one request, each started at its moment: the prompt summary at once, progress
 * summaries while reasoning streams (streamed requests only), the reasoning summary the moment
 * reasoning ends — not when the stream does. Results go into the ordered output; a failed call
 * sends an `error` event and the sentence fallback. Every call shares the run's signal.
 */
export class SummaryScheduler {
  /** Reasoning for the summary (bounded: head and tail). A failover starts it afresh. */
  private reasoning: ReasoningCollector;
  private promptTask: Promise<void> | undefined;
  /** Set the moment reasoning ends; a failover's second stream does not summarise again. */
  private reasoningTask: Promise<void> | undefined;
  private plan: RoutePlan | undefined;
  private readonly progress: ProgressReporter | undefined;

  constructor(
    private readonly req: StagedRequest,
    private readonly deps: PipelineDeps,
    private readonly out: OrderedEmitter,
    private readonly timings: Timings,
    private readonly clock: RunClock,
    private readonly signal: AbortSignal,
    private readonly trace: RequestTrace,
  ) {
    this.reasoning = createReasoningCollector(deps.maxReasoningChars);
    // Nobody watches a stream:false request think, so it gets no progress summaries.
    if (req.stream && req.summaries !== false && deps.progressIntervalMs > 0) this.progress = this.progressReporter();
  }

  /** The prompt summary, started now. */
  startPrompt(text: string): void {
    this.promptTask = this.summarizeInto("prompt", text, (r) => {
      this.timings.prompt_summary = this.clock.elapsed();
      this.out.promptSummary(r.text, r.source);
    });
  }

  /**
   * A piece of reasoning arrived (ignored once reasoning was summarised); a client that asked for the
   * model's own reasoning gets it too.
   */
  reasoningText(text: string): void {
    if (this.reasoningTask) return;
    this.reasoning.append(text);
    this.progress?.reasoning(text);
    if (this.req.includeReasoning) this.out.reasoningDelta(text);
  }

  /** Reasoning is over: summarise it now. A second end (a failover's stream) changes nothing. */
  reasoningEnded(): void {
    if (this.reasoningTask) return;
    this.timings.reasoning_end = this.clock.elapsed();
    this.progress?.stop();
    const text = this.reasoning.text();
    if (text.trim() === "") {
      this.reasoningTask = Promise.resolve();
      this.out.reasoningSummary("", "empty");
      return;
    }
    this.reasoningTask = this.summarizeInto("reasoning", text, (r) => {
      this.timings.reasoning_summary = this.clock.elapsed();
      this.out.reasoningSummary(r.text, r.source);
    });
  }

  /** A provider's stream was dropped before its answer: its reasoning is forgotten, unless already summarised. */
  discardReasoning(): void {
    if (!this.reasoningTask) this.reasoning = createReasoningCollector(this.deps.maxReasoningChars);
  }

  /** Resolves once every summary started has been handed to the output. */
  async settled(): Promise<void> {
    await Promise.all([this.promptTask, this.reasoningTask]);
  }

  /** The request is over: no more progress ticks, the one in flight is cancelled. */
  stop(): void {
    this.progress?.stop();
  }

  /**
   * A summary step, started now: its result goes to `deliver`; a failure sends an `error` event
   * and the sentence fallback. Rejects only when the request is cancelled.
   */
  private summarizeInto(kind: "prompt" | "reasoning", text: string, deliver: (r: { text: string; source: "model" | "fallback" }) => void): Promise<void> {
    // A surface that asked for no summaries (Responses with `reasoning.summary: null`) gets empty ones, no calls.
    if (this.req.summaries === false) {
      deliver({ text: "", source: "model" });
      return Promise.resolve();
    }
    const stage = kind === "prompt" ? "prompt_summary" : "reasoning_summary";
    const task = this.call(kind, text, this.signal).then((r) => {
      if (r.failure) this.out.error(stage, r.failure);
      deliver(r);
    });
    task.catch(() => undefined); // rejects only on cancellation; awaited by settled() otherwise
    return task;
  }

  /** One call to the summary model, wherever the summary route sends it. */
  private call(kind: SummaryKind, text: string, signal: AbortSignal): Promise<SummaryResult> {
    // Planned once per request: the order holds for every summary of it, and a provider that
    // went into cooldown since is skipped when it is acquired anyway.
    const plan = (this.plan ??= this.deps.router.plan(this.req.summaryModel, { kind: "summary" }));
    const stage = `${kind}_summary` as const;
    const { deps, req } = this;
    return this.trace.stage(
      stage,
      (span) =>
        deps.summarize({
          kind,
          text,
          model: req.summaryModel,
          signal,
          complete: (body, s) =>
            completeVia(
              plan,
              (model) => ({ ...body, model }),
              s,
              deps,
              req.requestId,
              (info) => logRetry(deps, req.requestId, stage, info),
              span,
            ),
        }),
      (r) => ({ source: r.source, error: r.failure, input: text, output: r.text }),
    );
  }

  private progressReporter(): ProgressReporter {
    this.timings.progress = [];
    return createProgressReporter(new ProgressHost(this, this.deps, this.req));
  }

  /** One progress summary of `text` (for the reporter): its text, or undefined when the call failed. */
  async progressSummary(text: string, signal: AbortSignal): Promise<string | undefined> {
    const r = await this.call("progress", text, signal);
    return r.failure ? undefined : r.text;
  }

  /** A progress summary goes out (from the reporter). */
  progressMade(index: number, text: string): void {
    this.timings.progress?.push(this.clock.elapsed());
    this.out.progress(index, text, "model");
  }
}

/** What the progress reporter calls back (a class rather than an object of closures, per stream). */
class ProgressHost implements ProgressDeps {
  readonly intervalMs: number;
  readonly now: () => number;

  constructor(
    private readonly scheduler: SummaryScheduler,
    private readonly deps: PipelineDeps,
    private readonly req: StagedRequest,
  ) {
    this.intervalMs = deps.progressIntervalMs;
    this.now = deps.now;
  }

  // The reporter cancels its call on stop(), which the run calls however it ends.
  summarize(text: string, signal: AbortSignal): Promise<string | undefined> {
    return this.scheduler.progressSummary(text, signal);
  }

  deliver(index: number, text: string): void {
    this.scheduler.progressMade(index, text);
  }

  record(outcome: ProgressOutcome, latencyMs?: number): void {
    this.deps.observer.progress?.({ id: this.req.requestId, outcome, ...(latencyMs !== undefined && { latencyMs }) });
  }
}
