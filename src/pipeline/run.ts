import type { RequestOutcome, StagedEvent, Timings } from "../events/index.js";
import { NO_TRACING, type RequestTrace } from "../telemetry/index.js";
import type { UpstreamError } from "../upstream/index.js";
import { childController, FINISHED, RequestEnded, type ChildController } from "../util/index.js";
import { AttemptLoop } from "./attempts.js";
import type { PipelineDeps, RunClock, StageSink } from "./deps.js";
import { noProvider } from "./failover.js";
import { failureOf, type Failure } from "./failure.js";
import { RunLedger } from "./ledger.js";
import { createOrderedEmitter, type OrderedEmitter } from "./ordering.js";
import { planFor, promptText, type StagedRequest } from "./request.js";
import { searchFirst } from "./research.js";
import { SummaryScheduler } from "./summary-scheduler.js";
import { startValidation, ValidationRun } from "./validation.js";

/**
 * How a run ended, as far as the pipeline knows. What the client saw — and so the HTTP status
 * and the outcome the request is recorded with — is for the HTTP edge to decide: it alone knows
 * whether the response had already begun.
 */
export type RunEnd =
  | { kind: "ok" }
  /** Refused before any upstream call (a schema that does not compile, …): the client's 4xx. */
  | { kind: "rejected"; failure: Failure }
  /** The upstream (or the answer's check) failed. */
  | { kind: "failed"; failure: Failure }
  /** The gateway ended it: shutdown, REQUEST_DEADLINE, a client too slow to read. */
  | { kind: "aborted"; failure: Failure }
  /** The client went away. */
  | { kind: "client_closed" };

export interface RunResult {
  end: RunEnd;
  /** Write the request's one record and log line, with what its client got. Once. */
  record(outcome: RequestOutcome, httpStatus: number): void;
}

/** How the caller ends a run early (the client left, it reads too slowly): the run's own signal aborts with `reason`. */
export type RunCancel = (reason: unknown) => void;

/**
 * One request, start to finish: the prompt summary and the upstream stream start together; the
 * reasoning summary starts the moment reasoning ends. Everything shares one AbortSignal, so a
 * client that leaves, the deadline, or shutdown stops all calls at once. A provider that fails
 * before any answer was sent is replaced by the route's next candidate, unseen.
 *
 * The caller ends it through `clientSignal`, or — with no signal of its own to give, as the
 * streamed HTTP edge — through the cancel function `bindCancel` receives at once: one
 * AbortController per request instead of two linked ones (each is an EventTarget with its
 * listener maps, ≈ 0.8 KB of every open stream).
 */
export function runStaged(
  req: StagedRequest,
  deps: PipelineDeps,
  sink: StageSink,
  clientSignal: AbortSignal | undefined,
  bindCancel?: (cancel: RunCancel) => void,
): Promise<RunResult> {
  let run: Run;
  try {
    run = new Run(req, deps, sink, clientSignal);
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  bindCancel?.((reason) => run.cancel(reason));
  // Promise chains rather than async functions, here and in execute(): an open stream holds two
  // suspended async frames fewer (each a generator, its promise and await closures, ≈ 0.5 KB).
  return run.execute().then((end) => new Result(run, end));
}

/** The run's end, and its one record. */
class Result implements RunResult {
  private recorded = false;

  constructor(
    private readonly run: Run,
    readonly end: RunEnd,
  ) {}

  record(outcome: RequestOutcome, httpStatus: number): void {
    if (this.recorded) return;
    this.recorded = true;
    this.run.record(outcome, httpStatus, this.end);
  }
}

class Run implements RunClock {
  private readonly t0: number;
  private readonly timings: Timings = { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 0 };
  /** One signal for every call of this request; aborted with a RequestEnded when the gateway ends it. */
  private readonly stop: ChildController;
  private readonly out: OrderedEmitter;
  /** What the request log and the log line report; filled in as the run goes. */
  private readonly ledger: RunLedger;
  private readonly summaries: SummaryScheduler;
  /** `response_format` with a check: its attempts so far; absent for other requests. */
  private validation: ValidationRun | undefined;
  private readonly trace: RequestTrace;
  private deadline: NodeJS.Timeout | undefined;
  private untrack: (() => void) | undefined;

  constructor(
    private readonly req: StagedRequest,
    private readonly deps: PipelineDeps,
    private readonly sink: StageSink,
    clientSignal: AbortSignal | undefined,
  ) {
    this.t0 = deps.now();
    this.trace = (deps.tracing ?? NO_TRACING).request(req);
    this.ledger = new RunLedger(req, deps, deps.wallClock());
    this.stop = childController(clientSignal);
    this.out = createOrderedEmitter(
      req.requestId,
      (e) => this.emit(e),
      () => (this.timings.first_output = this.elapsed()),
      {
        expectSources: req.research !== undefined,
        maxHeldChars: deps.maxHeldChars,
      },
    );
    this.summaries = new SummaryScheduler(req, deps, this.out, this.timings, this, this.stop.signal, this.trace);
  }

  execute(): Promise<RunEnd> {
    const { deps, req } = this;
    try {
      deps.observer.started({ id: req.requestId, model: req.model, stream: req.stream });
      this.deadline = setTimeout(deadlinePassed, deps.deadlineMs, this);
      this.untrack = deps.inflight?.track(this.stop);
    } catch (e) {
      this.cleanUp();
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return this.steps().then(
      (end) => {
        this.cleanUp();
        return end;
      },
      (e: unknown) => {
        try {
          return this.ended(e);
        } finally {
          this.cleanUp();
        }
      },
    );
  }

  /** A cancellation is the run's end; anything else thrown goes on up. */
  private ended(e: unknown): RunEnd {
    if (!this.stop.signal.aborted) throw e;
    const reason: unknown = this.stop.signal.reason;
    return reason instanceof RequestEnded ? { kind: "aborted", failure: failureOf(reason) } : { kind: "client_closed" };
  }

  private cleanUp(): void {
    clearTimeout(this.deadline);
    this.summaries.stop();
    this.untrack?.();
    this.out.close();
    this.timings.total = this.elapsed();
    this.stop.abort(FINISHED);
    this.stop.dispose();
  }

  /** REQUEST_DEADLINE passed. */
  deadlineExceeded(): void {
    this.stop.abort(
      new RequestEnded("deadline_exceeded", `the request ran longer than ${Math.round(this.deps.deadlineMs / 1000)} s (REQUEST_DEADLINE)`, 504, false),
    );
  }

  /** The run's steps in order; a failure is returned, a cancellation thrown. */
  private async steps(): Promise<RunEnd> {
    const { deps, req } = this;
    // A format the gateway cannot check is the client's mistake: refused before any call.
    const checked = await startValidation(req.passthrough.response_format, deps.validation, {
      requestId: req.requestId,
      observer: deps.observer,
      logger: deps.logger,
      signal: this.stop.signal,
    });
    if (checked instanceof ValidationRun) this.validation = checked;
    else if (checked) return { kind: "rejected", failure: checked };
    const plan = planFor(req, deps.router);
    if (plan.candidates.length === 0) return failed(noProvider(plan));
    if (plan.category === "safety_critical") this.validation?.insist();
    this.summaries.startPrompt(promptText(req.messages));
    let messages = req.messages;
    let sources: Awaited<ReturnType<typeof searchFirst>>["sources"] = [];
    // The search runs beside the prompt summary, and before the main call, which needs its sources.
    const research = req.research;
    if (research) {
      const found = await this.trace.stage(
        "research",
        () => searchFirst(deps.research, research, req.messages, this.out, this.stop.signal),
        (f) => ({ sources: f.sources.length, error: f.failure }),
      );
      if (deps.research) this.timings.research = this.elapsed();
      sources = found.sources;
      messages = found.messages;
    }
    const attempts = new AttemptLoop({
      req,
      deps,
      sink: this.sink,
      out: this.out,
      ledger: this.ledger,
      summaries: this.summaries,
      validation: this.validation,
      trace: this.trace,
      signal: this.stop.signal,
      clock: this,
    });
    // Returned, not awaited: this frame is over while the stream runs (one suspended async frame fewer).
    return attempts.run(plan, messages).then((failure) => this.finishSteps(failure, attempts, sources));
  }

  /** After the attempts: the summaries, the answer's check, then `output.done`. */
  private async finishSteps(
    failure: UpstreamError | undefined,
    attempts: AttemptLoop,
    sources: Awaited<ReturnType<typeof searchFirst>>["sources"],
  ): Promise<RunEnd> {
    const { req } = this;
    if (failure) return failed(failure);
    await this.summaries.settled();
    const invalid = this.validation?.strictFailure();
    if (invalid) return { kind: "failed", failure: invalid };
    this.timings.total = this.elapsed();
    const validation = this.validation?.report();
    this.out.done({
      finish_reason: attempts.finishReason ?? (attempts.sawToolCalls ? "tool_calls" : null),
      ...(this.ledger.usage && { usage: this.ledger.usage }),
      timings: this.timings,
      ...(this.ledger.route && { route: this.ledger.route }),
      ...(req.research && { sources }),
      ...(validation && { validation }),
    });
    return { kind: "ok" };
  }

  /** The caller ends the run (a no-op once it is over). */
  cancel(reason: unknown): void {
    this.stop.abort(reason);
  }

  /** The one log line and record of this request. */
  record(outcome: RequestOutcome, httpStatus: number, end: RunEnd): void {
    const failure = "failure" in end ? end.failure : undefined;
    this.ledger.finish(outcome, httpStatus, this.timings, { err: failure, validation: this.validation?.record(), discarded: this.validation?.discarded });
    this.trace.end(outcome, httpStatus, failure);
  }

  /** Milliseconds since the run began (the clock its parts share: no closure each). */
  elapsed(): number {
    return Math.round(this.deps.now() - this.t0);
  }

  private emit(e: StagedEvent): void {
    this.ledger.note(e);
    this.trace.note(e);
    this.sink.event(e);
  }
}

function deadlinePassed(run: Run): void {
  run.deadlineExceeded();
}

function failed(e: UpstreamError): RunEnd {
  return { kind: "failed", failure: failureOf(e) };
}
