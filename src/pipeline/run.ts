import type { StagedEvent, Timings, Source, RequestOutcome } from "../events/index.js";
import type { Candidate, RoutePlan } from "../providers/index.js";
import { createReasoningCollector, createReasoningSeparator, resolveCapabilityFor, type ParsedPart, type ReasoningCollector, type ReasoningSeparator } from "../reasoning/index.js";
import type { SummaryKind } from "../summaries/index.js";
import { reportsNativeReasoning, type UpstreamDelta, type UpstreamError } from "../upstream/index.js";
import { childController, FINISHED, RequestEnded, type ChildController } from "../util/index.js";
import { failureOf, type Failure } from "./failure.js";
import type { PipelineDeps, StageSink } from "./deps.js";
import { asUpstreamError, completeVia, logRetry, noProvider, reportFailure, retriesFor, type RetryInfo } from "./failover.js";
import { createProgressReporter, type ProgressReporter } from "./progress.js";
import { searchFirst } from "./research.js";
import { createOrderedEmitter, type OrderedEmitter } from "./ordering.js";
import { RunLedger } from "./ledger.js";
import { buildUpstreamBody, planFor, promptText, type StagedRequest } from "./request.js";
import { startValidation, ValidationRun, type AttemptOutput, type OutputTarget, type Step } from "./validation.js";

/**
 * One request, start to finish: the prompt summary and the upstream stream start together; the
 * reasoning summary starts the moment reasoning ends. Everything shares one AbortSignal, so a
 * client that leaves, the deadline, or shutdown stops all calls at once. A provider that fails
 * before any answer was sent is replaced by the route's next candidate, unseen.
 */
export async function runStaged(req: StagedRequest, deps: PipelineDeps, sink: StageSink, clientSignal: AbortSignal): Promise<void> {
  await new Run(req, deps, sink, clientSignal).execute();
}

class Run {
  private readonly t0: number;
  private readonly timings: Timings = { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 0 };
  /** One signal for every call of this request; aborted with a RequestEnded when the gateway ends it. */
  private readonly stop: ChildController;
  private readonly out: OrderedEmitter;

  /** What the request log and the log line report; filled in as the run goes. */
  private readonly ledger: RunLedger;
  private finishReason: string | null = null;
  private sawToolCalls = false;

  /** Reasoning for the summary (bounded: head and tail). A failover starts it afresh. */
  private reasoning: ReasoningCollector;
  /** Set the moment reasoning ends; a failover's second stream does not summarise again. */
  private reasoningTask: Promise<void> | undefined;
  private promptTask: Promise<void> | undefined;
  private summaryPlan: RoutePlan | undefined;
  /** Research mode: the sources found, and the messages the upstream gets (with them in the prompt). */
  private sources: Source[] = [];
  private messages: StagedRequest["messages"];
  /** Live progress summaries while reasoning streams (streamed requests only). */
  private readonly progress: ProgressReporter | undefined;
  /** `response_format` with a check: its attempts so far; absent for other requests. */
  private validation: ValidationRun | undefined;
  /** Where the current attempt's answer goes: the client, or (validation) a buffer held for the check. */
  private target: OutputTarget;
  /** Straight to the client, through the ordering. */
  private readonly live: OutputTarget = {
    answer: (text) => this.out.answer(text),
    toolCalls: (calls) => {
      this.sawToolCalls = true;
      this.out.toolCalls(calls);
    },
    finish: (reason) => (this.finishReason = reason),
    usage: (usage) => (this.ledger.usage = usage),
  };

  constructor(
    private readonly req: StagedRequest,
    private readonly deps: PipelineDeps,
    private readonly sink: StageSink,
    private readonly clientSignal: AbortSignal,
  ) {
    this.t0 = deps.now();
    this.ledger = new RunLedger(req, deps, deps.wallClock());
    this.stop = childController(clientSignal);
    this.reasoning = createReasoningCollector(deps.maxReasoningChars);
    this.messages = req.messages;
    this.target = this.live;
    this.out = createOrderedEmitter(req.requestId, (e) => this.emit(e), () => (this.timings.first_output = this.elapsed()), {
      expectSources: req.research !== undefined,
      maxHeldChars: deps.maxHeldChars,
    });
    // Nobody watches a stream:false request think, so it gets no progress summaries.
    if (req.stream && req.summaries !== false && deps.progressIntervalMs > 0) this.progress = this.progressReporter();
  }

  async execute(): Promise<void> {
    const { deps, req } = this;
    deps.observer.started({ id: req.requestId, model: req.model, stream: req.stream });
    const deadline = setTimeout(
      () => this.stop.abort(new RequestEnded("deadline_exceeded", `the request ran longer than ${Math.round(deps.deadlineMs / 1000)} s (REQUEST_DEADLINE)`, 504, false)),
      deps.deadlineMs,
    );
    const untrack = deps.inflight?.track(this.stop);
    try {
      // A format the gateway cannot check is the client's mistake: refused before any call.
      const checked = startValidation(req.passthrough.response_format, deps.validation, { requestId: req.requestId, observer: deps.observer, logger: deps.logger });
      if (checked instanceof ValidationRun) this.validation = checked;
      else if (checked) return this.failWith(checked, "rejected");
      const plan = planFor(req, deps.router);
      if (plan.candidates.length === 0) return this.fail(noProvider(plan));
      this.promptTask = this.summarizeInto("prompt", promptText(req.messages), (r) => {
        this.timings.prompt_summary = this.elapsed();
        this.out.promptSummary(r.text, r.source);
      });
      // The search runs beside the prompt summary, and before the main call, which needs its sources.
      if (req.research) {
        const found = await searchFirst(deps.research, req.research, req.messages, this.out, this.stop.signal);
        if (deps.research) this.timings.research = this.elapsed();
        this.sources = found.sources;
        this.messages = found.messages;
      }
      const failure = await this.streamFrom(plan);
      if (failure) return this.fail(failure);
      await Promise.all([this.promptTask, this.reasoningTask]);
      const invalid = this.validation?.strictFailure();
      if (invalid) return this.failWith(invalid, "upstream_error");
      this.timings.total = this.elapsed();
      const validation = this.validation?.report();
      const finishReason = this.finishReason ?? (this.sawToolCalls ? "tool_calls" : null);
      this.out.done({
        finish_reason: finishReason,
        ...(this.ledger.usage && { usage: this.ledger.usage }),
        timings: this.timings,
        ...(this.ledger.route && { route: this.ledger.route }),
        ...(req.research && { sources: this.sources }),
        ...(validation && { validation }),
      });
      this.finish("ok", 200);
    } catch (e) {
      if (!this.stop.signal.aborted) throw e;
      const reason: unknown = this.stop.signal.reason;
      if (reason instanceof RequestEnded) this.fail(reason, "aborted");
      else this.finish("client_closed", 499);
    } finally {
      clearTimeout(deadline);
      this.progress?.stop();
      untrack?.();
      this.out.close();
      this.stop.abort(FINISHED);
      this.stop.dispose();
    }
  }

  private elapsed(): number {
    return Math.round(this.deps.now() - this.t0);
  }

  private emit(e: StagedEvent): void {
    this.ledger.note(e);
    this.sink.event(e);
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
    const task = this.summary(kind, text, this.stop.signal).then((r) => {
      if (r.failure) this.out.error(stage, r.failure);
      deliver(r);
    });
    task.catch(() => undefined); // rejects only on cancellation; awaited by execute() otherwise
    return task;
  }

  /** One call to the summary model, wherever the summary route sends it. */
  private summary(kind: SummaryKind, text: string, signal: AbortSignal) {
    // Planned once per request: the order holds for every summary of it, and a provider that
    // went into cooldown since is skipped when it is acquired anyway.
    const summaryPlan = (this.summaryPlan ??= this.deps.router.plan(this.req.summaryModel, { kind: "summary" }));
    const stage = `${kind}_summary`;
    return this.deps.summarize({
      kind,
      text,
      model: this.req.summaryModel,
      signal,
      complete: (body, s) => completeVia(summaryPlan, (model) => ({ ...body, model }), s, this.deps, this.req.requestId, (info) => this.logRetry(stage, info)),
    });
  }

  private progressReporter(): ProgressReporter {
    const { deps, req } = this;
    const timings: number[] = [];
    this.timings.progress = timings;
    return createProgressReporter({
      intervalMs: deps.progressIntervalMs,
      // The reporter cancels its call on stop(), which the run calls however it ends.
      summarize: async (text, signal) => {
        const r = await this.summary("progress", text, signal);
        return r.failure ? undefined : r.text;
      },
      deliver: (index, text) => {
        timings.push(this.elapsed());
        this.out.progress(index, text, "model");
      },
      record: (outcome, latencyMs) => deps.observer.progress?.({ id: req.requestId, outcome, ...(latencyMs !== undefined && { latencyMs }) }),
      now: deps.now,
    });
  }

  /**
   * Streams from the plan's candidates until one completes (and, for a schema-checked request,
   * its answer validates or the attempts are spent). Returns the failure that ended the request
   * when none did; throws when the request was cancelled.
   */
  private async streamFrom(plan: RoutePlan): Promise<UpstreamError | undefined> {
    const { deps } = this;
    const tried = new Set<number>();
    let lastError: UpstreamError | undefined;
    let step: Step | undefined = { index: 0, constrained: false };
    while (step) {
      const c = plan.candidates[step.index] as Candidate;
      tried.add(step.index);
      if (!(await deps.router.acquire(c))) {
        step = nextUntried(plan, tried);
        continue;
      }
      try {
        const held = await this.attempt(plan, step.index, c, step.constrained);
        const verdict = held && this.validation?.verdict(held, c, step, plan.candidates, tried);
        if (!verdict || "release" in verdict) {
          if (verdict) this.release(verdict.release);
          this.ledger.served = c;
          return undefined;
        }
        step = verdict.next;
      } catch (e) {
        lastError = asUpstreamError(e);
        if (this.stop.signal.aborted) throw lastError;
        this.ledger.attempts++;
        reportFailure(deps.router, c, lastError);
        const next = nextUntried(plan, tried);
        const to = next && plan.candidates[next.index];
        if (this.out.outputStarted || !lastError.failoverable || !to) step = undefined;
        else {
          this.failOver(c, to, lastError);
          step = next;
        }
      } finally {
        deps.router.release(c);
        // Whatever happens next (a release, a retry, a failover) starts from the live output.
        this.target = this.live;
      }
    }
    // Nothing validated, or the attempt after an invalid answer failed: the last answer stands (valid: false).
    if (this.validation?.lastInvalid) return this.giveUp(this.validation);
    return lastError ?? noProvider(plan);
  }

  /**
   * One provider: open its stream (retrying before the first byte), then relay it. For a
   * schema-checked request the answer is held and returned for its verdict.
   */
  private async attempt(plan: RoutePlan, index: number, c: Candidate, constrained: boolean): Promise<AttemptOutput | undefined> {
    const { deps, req, sink } = this;
    this.ledger.route = { provider: c.provider.id, strategy: plan.strategy, reason: plan.reason, attempts: this.ledger.attempts + 1 };
    sink.provider?.(c.provider.id);
    const maxRetries = retriesFor(plan, index, deps.maxRetries);
    const capability = resolveCapabilityFor(req.model, c.upstreamModel, deps.capabilities);
    // A native API with its own reasoning field needs no tag instruction: a model that followed it
    // would put the tags into its answer.
    const mode = capability === "auto" && reportsNativeReasoning(c.provider.target) ? "fields" : capability;
    const messages = constrained && this.validation ? this.validation.constrained(this.messages) : this.messages;
    const held = this.validation?.newOutput();
    this.target = held ?? this.live;
    const upstream = await deps.client.stream(c.provider.target, buildUpstreamBody({ ...req, messages }, mode, c.upstreamModel), this.stop.signal, {
      maxRetries,
      onRetry: (info) => {
        this.logRetry("upstream", { provider: c.provider.id, ...info });
        this.out.retry({ provider: c.provider.id, attempt: info.attempt, max_retries: info.maxRetries, delay_ms: Math.round(info.delayMs), code: info.error.code, message: info.error.message });
      },
    });
    this.ledger.attempts += upstream.attempts;
    this.ledger.route.attempts = this.ledger.attempts;
    this.ledger.ttfb = this.elapsed();
    sink.accepted?.();
    const separator = createReasoningSeparator({ mode, useReasoningFields: deps.parseReasoningFields });
    for await (const d of upstream.deltas) {
      this.relay(d, separator);
      // An answer too long to hold for its check: stop reading (leaving closes the upstream stream).
      if (held?.overflowed) break;
      // Backpressure: held answer at its cap, or a client that is not reading. Waiting here
      // stops reading the upstream, so TCP slows it down too.
      const wait = this.out.waitForRoom() ?? sink.ready?.();
      if (wait) await wait;
    }
    this.take(separator.end());
    deps.router.success(c, this.ledger.ttfb);
    return held;
  }

  /** The per-chunk path: one upstream delta through the separator into the ordered output. */
  private relay(d: UpstreamDelta, separator: ReasoningSeparator): void {
    if (d.content !== undefined || d.reasoning !== undefined || d.toolCalls !== undefined) {
      this.take(separator.push({ content: d.content, reasoning: d.reasoning, toolCalls: d.toolCalls !== undefined }));
    }
    if (d.toolCalls !== undefined) this.target.toolCalls(d.toolCalls);
    if (d.finishReason !== undefined) this.target.finish(d.finishReason);
    if (d.usage !== undefined) this.target.usage(d.usage);
  }

  private take(parts: ParsedPart[]): void {
    for (const p of parts) {
      if (p.type === "reasoning") {
        if (!this.reasoningTask) {
          this.reasoning.append(p.text);
          this.progress?.reasoning(p.text);
        }
      } else if (p.type === "answer") this.target.answer(p.text);
      else this.onReasoningEnd();
    }
  }

  /** Hand a held attempt's output to the client. */
  private release(held: AttemptOutput): void {
    held.replay(this.live);
  }

  /** No answer validated: the last one goes out with `valid: false`, unless the request asked for strictness (then nothing does). */
  private giveUp(v: ValidationRun): undefined {
    const last = v.lastAnswer();
    if (!last) return undefined;
    this.ledger.served = last.candidate;
    if (this.ledger.route) this.ledger.route.provider = last.candidate.provider.id;
    this.sink.provider?.(last.candidate.provider.id);
    this.release(last.output);
    return undefined;
  }

  /** Reasoning is over: summarise it now, not when the stream ends. */
  private onReasoningEnd(): void {
    if (this.reasoningTask) return; // a failover's second stream: its reasoning was already summarised
    this.timings.reasoning_end = this.elapsed();
    this.progress?.stop();
    const text = this.reasoning.text();
    if (text.trim() === "") {
      this.reasoningTask = Promise.resolve();
      this.out.reasoningSummary("", "empty");
      return;
    }
    this.reasoningTask = this.summarizeInto("reasoning", text, (r) => {
      this.timings.reasoning_summary = this.elapsed();
      this.out.reasoningSummary(r.text, r.source);
    });
  }

  /** Nothing of this provider's answer reached the client: drop it and start over elsewhere. */
  private failOver(from: Candidate, to: Candidate, err: UpstreamError): void {
    this.ledger.failovers++;
    this.deps.observer.failover({ id: this.req.requestId, from: from.provider.id, to: to.provider.id, reason: err.code });
    this.deps.logger.warn({ request_id: this.req.requestId, stage: "upstream", from: from.provider.id, to: to.provider.id, code: err.code, err: err.message }, "failing over");
    this.out.discardHeld();
    if (!this.reasoningTask) this.reasoning = createReasoningCollector(this.deps.maxReasoningChars);
  }

  private logRetry(stage: string, info: RetryInfo): void {
    logRetry(this.deps, this.req.requestId, stage, info);
  }

  private fail(e: UpstreamError | RequestEnded, outcome: RequestOutcome = "upstream_error"): void {
    this.failWith(failureOf(e), outcome);
  }

  private failWith(f: Failure, outcome: RequestOutcome): void {
    this.finish(outcome, this.sink.fail(f), f);
  }

  /** The one log line and record of this request. */
  private finish(outcome: RequestOutcome, httpStatus: number, err?: { code: string; message: string }): void {
    this.timings.total = this.elapsed();
    this.ledger.finish(outcome, httpStatus, this.timings, { err, validation: this.validation?.record(), discarded: this.validation?.discarded });
  }
}

/** The first candidate not tried yet, in the route's order. */
function nextUntried(plan: RoutePlan, tried: ReadonlySet<number>): Step | undefined {
  const index = plan.candidates.findIndex((_, i) => !tried.has(i));
  return index === -1 ? undefined : { index, constrained: false };
}
