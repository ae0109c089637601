import type { Logger } from "pino";
import type { ToolCallDelta, Usage, ValidationReport, RequestObserver, ValidationRecord, ValidationTry } from "../events/index.js";
import type { Candidate } from "../providers/index.js";
import {
  constrainedInstruction,
  readAnswerFormat,
  ResponseFormatError,
  ValidationBudgetError,
  ValidationBusyError,
  ValidationUnavailableError,
  type AnswerCheck,
  type AnswerValidator,
  type CheckResult,
} from "../validation/index.js";
import type { Failure } from "./failure.js";
import { withInstruction, type ChatMessage } from "./request.js";

/** What the pipeline needs for schema-validated answers (`response_format`). */
export interface ValidationDeps {
  validator: AnswerValidator;
  /** VALIDATION_MAX_ATTEMPTS: answers checked per request, the first one included. */
  maxAttempts: number;
  /** Longest answer held for its check; a longer one is cut there and counts as invalid. */
  maxAnswerChars: number;
  /** VALIDATION_BUDGET_MS, for messages. */
  budgetMs: number;
}

/** Where one attempt's answer and tool calls go: the client (live), or a buffer held for the check. */
export interface OutputTarget {
  answer(text: string): void;
  toolCalls(calls: ToolCallDelta[]): void;
  finish(reason: string): void;
  usage(usage: Usage): void;
}

type HeldItem = { kind: "text"; text: string } | { kind: "tools"; calls: ToolCallDelta[] };

/**
 * One attempt's output while its answer waits for the check: nothing of it reaches the client
 * before the verdict, and a failed attempt's output is simply dropped. Bounded by `maxChars`.
 */
export class AttemptOutput implements OutputTarget {
  private readonly items: HeldItem[] = [];
  private chars = 0;
  sawToolCalls = false;
  /** The answer outgrew the bound: the attempt stops reading, and what was held is all there is. */
  overflowed = false;
  finishReason: string | null = null;
  reportedUsage: Usage | undefined;

  constructor(private readonly maxChars: number) {}

  answer(text: string): void {
    if (this.overflowed) return;
    const room = this.maxChars - this.chars;
    if (text.length > room) {
      this.overflowed = true;
      this.finishReason = "length";
      text = text.slice(0, room);
    }
    if (text !== "") this.items.push({ kind: "text", text });
    this.chars += text.length;
  }

  toolCalls(calls: ToolCallDelta[]): void {
    this.sawToolCalls = true;
    this.items.push({ kind: "tools", calls });
  }

  finish(reason: string): void {
    if (!this.overflowed) this.finishReason = reason;
  }

  usage(usage: Usage): void {
    this.reportedUsage = usage;
  }

  /** The answer text, as one string. */
  text(): string {
    return this.items.map((i) => (i.kind === "text" ? i.text : "")).join("");
  }

  /** Hand everything over, in arrival order. */
  replay(to: OutputTarget): void {
    for (const item of this.items) {
      if (item.kind === "text") to.answer(item.text);
      else to.toolCalls(item.calls);
    }
    if (this.finishReason !== null) to.finish(this.finishReason);
    if (this.reportedUsage) to.usage(this.reportedUsage);
  }
}

/** Which candidate of the route to try, and whether with the constrained instruction. */
export interface Step {
  index: number;
  constrained: boolean;
}

const TIER_RANK: Record<string, number> = { local: 0, cloud: 1 };

/** Who hears how each check went. */
export interface VerdictContext {
  requestId: string;
  observer: RequestObserver;
  logger: Logger;
  /** The request's own: a request that ends stops waiting for a validation worker. */
  signal?: AbortSignal;
}

/**
 * The request's `response_format`, compiled into its check: a ValidationRun, nothing to check
 * (undefined), the client's 400 for a format that cannot be checked, or a 503 when no worker can
 * take the compile now. Rejects only when the request ends meanwhile.
 */
export async function startValidation(
  responseFormat: unknown,
  deps: ValidationDeps | undefined,
  ctx: VerdictContext,
): Promise<ValidationRun | Failure | undefined> {
  if (!deps) return undefined;
  try {
    const format = readAnswerFormat(responseFormat);
    return format && new ValidationRun(await deps.validator.prepare(format, ctx.signal), deps, ctx);
  } catch (e) {
    if (e instanceof ResponseFormatError) return { status: 400, type: "invalid_request_error", code: e.code, message: e.message, retryable: false };
    const f = workerFailure(e);
    if (f) return f;
    throw e;
  }
}

/** The validation workers could not take the job: the gateway's 503, not the client's mistake. */
function workerFailure(e: unknown): Failure | undefined {
  if (e instanceof ValidationBusyError)
    return {
      status: 503,
      type: "server_error",
      code: "validation_busy",
      message: `the gateway is busy checking other answers: ${e.message}; retry shortly`,
      retryable: true,
      retryAfterMs: 1_000,
    };
  if (e instanceof ValidationUnavailableError)
    return { status: 503, type: "server_error", code: "validation_unavailable", message: `answers cannot be checked now: ${e.message}`, retryable: true };
  return undefined;
}

/**
 * The validate → constrained retry → escalate policy for one request. Each provider gets a plain
 * attempt, then one constrained retry; then the next untried candidate of a higher tier (local →
 * cloud), or, with none, the next untried one; never more than `maxAttempts` answers checked.
 */
export class ValidationRun {
  readonly tries: ValidationTry[] = [];
  escalated = false;
  /** The latest invalid answer: released (valid: false) if nothing validates. */
  lastInvalid: { output: AttemptOutput; candidate: Candidate; errors: string[] } | undefined;
  /** Answers dropped for a better one, for the cost of the request. */
  readonly discarded: { usage: Usage | undefined; candidate: Candidate }[] = [];
  /** Set once an answer was released: valid, invalid (given up) or a tool-call turn (not checked). */
  released: "valid" | "invalid" | "unchecked" | undefined;
  /** The check itself failed (its budget, or no worker): the request ends with this, no answer released. */
  private checkFailure: Failure | undefined;
  /** A safety-critical request: an answer that never validates is not released, whatever the format said. */
  private insisting = false;

  constructor(
    readonly check: AnswerCheck,
    private readonly deps: ValidationDeps,
    private readonly ctx: VerdictContext,
  ) {}

  /** Release no answer that fails its check (a `safety_critical` task): as `strict: true` does, for `json_object` too. */
  insist(): void {
    this.insisting = true;
  }

  /** The messages of a constrained retry: the schema restated and the last answer's problems, first. */
  constrained(messages: readonly ChatMessage[]): ChatMessage[] {
    return withInstruction(messages, constrainedInstruction(this.check.format, this.lastInvalid?.errors ?? []));
  }

  newOutput(): AttemptOutput {
    return new AttemptOutput(this.deps.maxAnswerChars);
  }

  /**
   * A finished attempt: the output to release (its answer validates, or the turn ended in tool
   * calls, which are not checked), or the next step after an invalid answer (undefined: none left,
   * or the check itself failed — then `strictFailure()` says how the request ends). Never rejects
   * for the check's own cost: that is neither the provider's failure nor worth another attempt.
   */
  async verdict(
    held: AttemptOutput,
    c: Candidate,
    step: Step,
    candidates: readonly Candidate[],
    tried: readonly number[],
  ): Promise<{ release: AttemptOutput } | { next: Step | undefined }> {
    if (held.sawToolCalls) {
      // An earlier invalid answer was dropped for this turn: it still cost what it cost.
      if (this.lastInvalid) this.discarded.push({ usage: this.lastInvalid.output.reportedUsage, candidate: this.lastInvalid.candidate });
      this.released = "unchecked";
      return { release: held };
    }
    const result = await this.judge(held, c, step.constrained);
    if (this.checkFailure) return { next: undefined };
    const event = { id: this.ctx.requestId, provider: c.provider.id, attempt: this.tries.length };
    if (result.valid) {
      this.ctx.observer.validation?.({ ...event, valid: true });
      this.released = "valid";
      return { release: held };
    }
    const next = this.next(candidates, step.index, step.constrained, tried);
    const to = next && candidates[next.index]?.provider.id;
    if (next?.action === "escalate") this.escalated = true;
    this.ctx.observer.validation?.({
      ...event,
      valid: false,
      errors: result.errors,
      next: !next || to === undefined ? { action: "give_up" } : next.action === "retry" ? { action: "retry" } : { action: "escalate", to },
    });
    this.ctx.logger.warn(
      {
        request_id: this.ctx.requestId,
        stage: "validation",
        provider: c.provider.id,
        attempt: this.tries.length,
        errors: result.errors,
        next: next?.action ?? "give_up",
        to,
      },
      "answer failed its response_format schema",
    );
    return { next };
  }

  /** Nothing validated: the last answer, to go out with `valid: false`; undefined when there is none or the request is strict. */
  lastAnswer(): { output: AttemptOutput; candidate: Candidate } | undefined {
    if (!this.lastInvalid || this.strictFailure()) return undefined;
    this.released = "invalid";
    return this.lastInvalid;
  }

  /** Check a finished attempt's answer and remember how it went. */
  private async judge(output: AttemptOutput, candidate: Candidate, constrained: boolean): Promise<CheckResult> {
    const result: CheckResult = output.overflowed
      ? { valid: false, errors: [`the answer is longer than ${this.deps.maxAnswerChars} characters, the most held for a check`] }
      : await this.checked(output.text(), candidate);
    this.tries.push({ provider: candidate.provider.id, constrained, valid: result.valid });
    if (this.lastInvalid) this.discarded.push({ usage: this.lastInvalid.output.reportedUsage, candidate: this.lastInvalid.candidate });
    this.lastInvalid = result.valid ? undefined : { output, candidate, errors: result.errors };
    return result;
  }

  /** The check's verdict; when the check itself fails, the failure the request ends with, recorded as an invalid try. */
  private async checked(text: string, candidate: Candidate): Promise<CheckResult> {
    try {
      return await this.check.check(text, this.ctx.signal);
    } catch (e) {
      const f = e instanceof ValidationBudgetError ? budgetFailure(e, this.deps.budgetMs) : workerFailure(e);
      if (!f) throw e;
      this.checkFailure = f;
      this.ctx.logger.warn(
        { request_id: this.ctx.requestId, stage: "validation", provider: candidate.provider.id, code: f.code, err: f.message },
        "the answer could not be checked",
      );
      return { valid: false, errors: [f.message] };
    }
  }

  /** After an invalid answer from `candidates[index]`: the next step, or undefined when the attempts are spent. */
  private next(
    candidates: readonly Candidate[],
    index: number,
    constrained: boolean,
    tried: readonly number[],
  ): (Step & { action: "retry" | "escalate" }) | undefined {
    if (this.tries.length >= this.deps.maxAttempts) return undefined;
    if (!constrained) return { index, constrained: true, action: "retry" };
    const from = rank(candidates[index]);
    const untried = candidates.map((_, i) => i).filter((i) => !tried.includes(i));
    const to = untried.find((i) => rank(candidates[i]) > from) ?? untried[0];
    return to === undefined ? undefined : { index: to, constrained: false, action: "escalate" };
  }

  /** For `output.done`; undefined when the released turn was not checked (it ended in tool calls). */
  report(): ValidationReport | undefined {
    if (this.released === "unchecked") return undefined;
    const valid = this.released === "valid";
    const errors = this.lastInvalid?.errors;
    return { valid, attempts: this.tries.length, escalated: this.escalated, ...(!valid && errors && { errors }) };
  }

  /** For the request log; undefined when no answer was checked. */
  record(): ValidationRecord | undefined {
    if (this.tries.length === 0) return undefined;
    const valid = this.released === "valid";
    const errors = this.lastInvalid?.errors;
    return { valid, attempts: this.tries.length, escalated: this.escalated, ...(!valid && errors && { errors }), tries: this.tries };
  }

  /**
   * The failure the request ends with: the check itself failed (`validation_budget_exceeded`, or
   * no worker), or nothing validated and the request said `strict: true` (or is safety-critical).
   */
  strictFailure(): Failure | undefined {
    if (this.checkFailure) return this.checkFailure;
    const f = this.check.format;
    const strict = this.insisting || (f.type === "json_schema" && f.strict);
    if (!strict || this.released !== undefined || !this.lastInvalid) return undefined;
    const why = this.lastInvalid.errors.join("; ");
    const because = this.insisting ? " (a safety_critical task: an answer that fails its check is never released)" : "";
    return {
      status: 422,
      type: "invalid_request_error",
      code: "validation_failed",
      message: `no answer matched the response_format schema after ${this.tries.length} attempt${this.tries.length === 1 ? "" : "s"}${because}: ${why}`,
      retryable: true,
      stage: "validation",
    };
  }
}

/**
 * The answer arrived but checking it against the schema cost more than the gateway spends on one
 * check: the client's schema and the model's answer together are the cause, so 422, not retried
 * and not the provider's failure (its answer is not known to be wrong).
 */
function budgetFailure(e: ValidationBudgetError, budgetMs: number): Failure {
  const what =
    e.exceeded === "time"
      ? `took longer than ${budgetMs} ms (VALIDATION_BUDGET_MS)`
      : e.exceeded === "memory"
        ? e.message
        : "recursed deeper than the stack allows";
  return {
    status: 422,
    type: "invalid_request_error",
    code: "validation_budget_exceeded",
    message: `checking the answer against the response_format schema ${what}; simplify the schema (uniqueItems, large enums, deep recursion) or ask for a smaller answer`,
    retryable: false,
    stage: "validation",
  };
}

function rank(c: Candidate | undefined): number {
  return TIER_RANK[c?.provider.tier ?? "cloud"] ?? 1;
}
