import type { Candidate, RoutePlan } from "../providers/index.js";
import type { CallTrace, RequestTrace, StageFacts } from "../telemetry/index.js";
import { createReasoningSeparator, resolveCapabilityFor, type CapabilityRule, type ParsedPart, type ReasoningSeparator } from "../reasoning/index.js";
import type { ToolCallDelta, Usage } from "../events/index.js";
import type { UpstreamDelta, UpstreamError } from "../upstream/index.js";
import type { PipelineDeps, RunClock, StageSink } from "./deps.js";
import { asUpstreamError, logRetry, noProvider, reportFailure, retriesFor } from "./failover.js";
import type { RunLedger } from "./ledger.js";
import { watchLoneClose } from "./lone-close.js";
import type { OrderedEmitter } from "./ordering.js";
import { planUpstreamCall, type ChatMessage, type StagedRequest } from "./request.js";
import type { SummaryScheduler } from "./summary-scheduler.js";
import type { AttemptOutput, OutputTarget, Step, ValidationRun } from "./validation.js";

/** What the attempt loop works with, owned by the run. */
export interface AttemptContext {
  req: StagedRequest;
  deps: PipelineDeps;
  sink: StageSink;
  out: OrderedEmitter;
  ledger: RunLedger;
  summaries: SummaryScheduler;
  validation: ValidationRun | undefined;
  trace: RequestTrace;
  /** The run's one signal: the client left, the deadline passed, or shutdown. */
  signal: AbortSignal;
  clock: RunClock;
}

/**
 * The attempt loop: stream from the plan's candidates until one completes (and, for a
 * schema-checked request, its answer validates or the attempts are spent). A provider that fails
 * before any answer reached the client is replaced by the next candidate, unseen; each upstream
 * call — first tries, retries and failovers — is counted as it is made.
 */
export class AttemptLoop {
  /** Where the current attempt's answer goes: the client, or (validation) a buffer held for the check. */
  private target: OutputTarget;
  /** Straight to the client, through the ordering. */
  private readonly live: OutputTarget;
  finishReason: string | null = null;
  sawToolCalls = false;
  /** The model the current attempt's upstream says is answering (its chunks' `model`), for its span. */
  private responseModel: string | undefined;

  constructor(private readonly x: AttemptContext) {
    this.live = new LiveOutput(this, x);
    this.target = this.live;
  }

  /**
   * Runs the loop. Resolves with the failure that ended the request when no candidate served it,
   * else undefined; rejects when the request was cancelled.
   */
  async run(plan: RoutePlan, messages: ChatMessage[]): Promise<UpstreamError | undefined> {
    const { deps, ledger, validation } = this.x;
    // Indices of the candidates tried so far (a list: a Set costs ≈ 200 bytes per open stream).
    const tried: number[] = [];
    let lastError: UpstreamError | undefined;
    let step: Step | undefined = { index: 0, constrained: false };
    while (step) {
      const at = step;
      const c = plan.candidates[at.index] as Candidate;
      tried.push(step.index);
      if (!(await deps.router.acquire(c))) {
        step = nextUntried(plan, tried);
        continue;
      }
      const traced = this.x.trace.call(c);
      try {
        const held = await this.attempt(plan, step.index, c, step.constrained ? (validation?.constrained(messages) ?? messages) : messages, traced);
        const verdict =
          held &&
          validation &&
          (await this.x.trace.stage(
            "validation",
            () => validation.verdict(held, c, at, plan.candidates, tried),
            () => lastCheck(validation),
          ));
        if (!verdict || "release" in verdict) {
          if (verdict) verdict.release.replay(this.live);
          ledger.served = c;
          return undefined;
        }
        step = verdict.next;
      } catch (e) {
        lastError = asUpstreamError(e);
        traced.failed(lastError);
        if (this.x.signal.aborted) throw lastError;
        reportFailure(deps, c, lastError);
        const next = nextUntried(plan, tried);
        const to = next && plan.candidates[next.index];
        if (this.x.out.outputStarted || !lastError.failoverable || !to) step = undefined;
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
    if (validation?.lastInvalid) return this.giveUp(validation);
    return lastError ?? noProvider(plan);
  }

  /**
   * One provider: open its stream (retrying before the first byte), then relay it. For a
   * schema-checked request the answer is held and returned for its verdict.
   */
  private async attempt(plan: RoutePlan, index: number, c: Candidate, messages: ChatMessage[], traced: CallTrace): Promise<AttemptOutput | undefined> {
    const { deps, req, sink, ledger, out } = this.x;
    ledger.call(c.provider.id, plan);
    sink.provider?.(c.provider.id);
    // The provider's own reasoning_formats first, then MODEL_CAPABILITIES, then the family defaults.
    const capability = resolveCapabilityFor(req.model, c.upstreamModel, capabilityRules(c.provider.reasoningFormats, deps.capabilities));
    const call = planUpstreamCall({ ...req, messages }, capability, { upstreamModel: c.upstreamModel, target: c.provider.target });
    const held = this.x.validation?.newOutput();
    this.target = held ?? this.live;
    this.responseModel = undefined;
    const upstream = await deps.client.stream(c.provider.target, call.body, this.x.signal, {
      maxRetries: retriesFor(plan, index, deps.maxRetries),
      onRetry: (info) => {
        ledger.retried();
        logRetry(deps, req.requestId, "upstream", { provider: c.provider.id, ...info });
        out.retry({
          provider: c.provider.id,
          attempt: info.attempt,
          max_retries: info.maxRetries,
          delay_ms: Math.round(info.delayMs),
          code: info.error.code,
          message: info.error.message,
        });
      },
      watch: traced,
    });
    ledger.ttfb = this.x.clock.elapsed();
    sink.accepted?.();
    const separator = watchLoneClose(
      call.mode,
      createReasoningSeparator({ mode: call.mode, useReasoningFields: deps.parseReasoningFields, toolCallIdPrefix: `call_${req.requestId}_` }),
      () => deps.observer.unrecognisedReasoning?.({ id: req.requestId, model: req.model, upstreamModel: c.upstreamModel, provider: c.provider.id }),
    );
    for await (const d of upstream.deltas) {
      this.relay(d, separator);
      // An answer too long to hold for its check: stop reading (leaving closes the upstream stream).
      if (held?.overflowed) break;
      // Backpressure: held answer at its cap, or a client that is not reading. Waiting here
      // stops reading the upstream, so TCP slows it down too.
      const wait = out.waitForRoom() ?? sink.ready?.();
      if (wait) await wait;
    }
    this.take(separator.end());
    deps.router.success(c, ledger.ttfb);
    traced.done({
      responseModel: this.responseModel,
      usage: held ? held.reportedUsage : ledger.usage,
      finishReason: held ? held.finishReason : this.finishReason,
    });
    return held;
  }

  /** The per-chunk path: one upstream delta through the separator into the ordered output. */
  private relay(d: UpstreamDelta, separator: ReasoningSeparator): void {
    if (d.content !== undefined || d.reasoning !== undefined || d.toolCalls !== undefined) {
      this.take(separator.push({ content: d.content, reasoning: d.reasoning, toolCalls: d.toolCalls !== undefined }));
    }
    if (d.toolCalls !== undefined) this.target.toolCalls(d.toolCalls);
    if (d.encryptedReasoning !== undefined) this.x.ledger.encryptedReasoning += d.encryptedReasoning;
    if (d.finishReason !== undefined) this.target.finish(d.finishReason);
    if (d.usage !== undefined) this.target.usage(d.usage);
    if (d.model !== undefined) this.responseModel = d.model;
  }

  private take(parts: ParsedPart[]): void {
    for (const p of parts) {
      if (p.type === "reasoning") this.x.summaries.reasoningText(p.text);
      else if (p.type === "answer") this.target.answer(p.text);
      else if (p.type === "tool-call") this.target.toolCalls([p.call]);
      else this.x.summaries.reasoningEnded();
    }
  }

  /** No answer validated: the last one goes out with `valid: false` (a strict request then fails instead). */
  private giveUp(v: ValidationRun): undefined {
    const last = v.lastAnswer();
    if (!last) return undefined;
    const { ledger, sink } = this.x;
    ledger.served = last.candidate;
    ledger.servedBy(last.candidate.provider.id);
    sink.provider?.(last.candidate.provider.id);
    last.output.replay(this.live);
    return undefined;
  }

  /** Nothing of this provider's answer reached the client: drop it and start over elsewhere. */
  private failOver(from: Candidate, to: Candidate, err: UpstreamError): void {
    const { deps, req, ledger, out, summaries } = this.x;
    ledger.failovers++;
    deps.observer.failover({ id: req.requestId, from: from.provider.id, to: to.provider.id, reason: err.code });
    deps.logger.warn(
      { request_id: req.requestId, stage: "upstream", from: from.provider.id, to: to.provider.id, code: err.code, err: err.message },
      "failing over",
    );
    out.discardHeld();
    summaries.discardReasoning();
  }
}

/** The attempt's output straight to the client (a class: no closures per open stream). */
class LiveOutput implements OutputTarget {
  constructor(
    private readonly loop: AttemptLoop,
    private readonly x: AttemptContext,
  ) {}

  answer(text: string): void {
    this.x.out.answer(text);
  }

  toolCalls(calls: ToolCallDelta[]): void {
    this.loop.sawToolCalls = true;
    this.x.out.toolCalls(calls);
  }

  finish(reason: string): void {
    this.loop.finishReason = reason;
  }

  usage(usage: Usage): void {
    this.x.ledger.usage = usage;
  }
}

/** How the answer check just made went, for its span (nothing for a tool-call turn, which is not checked). */
function lastCheck(v: ValidationRun): StageFacts {
  const last = v.released === "unchecked" ? undefined : v.tries.at(-1);
  return last ? { valid: last.valid, attempt: v.tries.length } : {};
}

/** The first candidate not tried yet, in the route's order. */
function nextUntried(plan: RoutePlan, tried: readonly number[]): Step | undefined {
  const index = plan.candidates.findIndex((_, i) => !tried.includes(i));
  return index === -1 ? undefined : { index, constrained: false };
}

/**
 * A provider's reasoning_formats followed by MODEL_CAPABILITIES, the same list object for every
 * call: the capability lookup compiles and memoises per list.
 */
const joinedRules = new WeakMap<readonly CapabilityRule[], WeakMap<readonly CapabilityRule[], readonly CapabilityRule[]>>();

function capabilityRules(own: readonly CapabilityRule[] | undefined, global: readonly CapabilityRule[]): readonly CapabilityRule[] {
  if (!own || own.length === 0) return global;
  let byGlobal = joinedRules.get(own);
  if (!byGlobal) joinedRules.set(own, (byGlobal = new WeakMap()));
  let joined = byGlobal.get(global);
  if (!joined) byGlobal.set(global, (joined = [...own, ...global]));
  return joined;
}
