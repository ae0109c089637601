import type { Logger } from "pino";
import type { ToolCallDelta, Usage, ValidationReport, RequestObserver, ValidationRecord, ValidationTry } from "../events/index.js";
import type { Candidate } from "../providers/index.js";
import { constrainedInstruction, readAnswerFormat, ResponseFormatError, type AnswerCheck, type AnswerValidator, type CheckResult } from "../validation/index.js";
import type { Failure } from "./failure.js";
import { withInstruction, type ChatMessage } from "./request.js";

/** What the pipeline needs for schema-validated answers (`response_format`). */
export interface ValidationDeps {
  validator: AnswerValidator;
  /** VALIDATION_MAX_ATTEMPTS: answers checked per request, the first one included. */
  maxAttempts: number;
  /** Longest answer held for its check; a longer one is cut there and counts as invalid. */
  maxAnswerChars: number;
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
}

/**
 * The request's `response_format`, compiled into its check: a ValidationRun, nothing to check
 * (undefined), or the client's 400 for a format that cannot be checked.
 */
export function startValidation(responseFormat: unknown, deps: ValidationDeps | undefined, ctx: VerdictContext): ValidationRun | Failure | undefined {
  if (!deps) return undefined;
  try {
    const format = readAnswerFormat(responseFormat);
    return format && new ValidationRun(deps.validator.prepare(format), deps, ctx);
  } catch (e) {
    if (!(e instanceof ResponseFormatError)) throw e;
    return { status: 400, type: "invalid_request_error", code: e.code, message: e.message, retryable: false };
  }
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

  constructor(
    readonly check: AnswerCheck,
    private readonly deps: ValidationDeps,
    private readonly ctx: VerdictContext,
  ) {}

  /** The messages of a constrained retry: the schema restated and the last answer's problems, first. */
  constrained(messages: readonly ChatMessage[]): ChatMessage[] {
    return withInstruction(messages, constrainedInstruction(this.check.format, this.lastInvalid?.errors ?? []));
  }

  newOutput(): AttemptOutput {
    return new AttemptOutput(this.deps.maxAnswerChars);
  }

  /**
   * A finished attempt: the output to release (its answer validates, or the turn ended in tool
   * calls, which are not checked), or the next step after an invalid answer (undefined: none left).
   */
  verdict(held: AttemptOutput, c: Candidate, step: Step, candidates: readonly Candidate[], tried: ReadonlySet<number>): { release: AttemptOutput } | { next: Step | undefined } {
    if (held.sawToolCalls) {
      // An earlier invalid answer was dropped for this turn: it still cost what it cost.
      if (this.lastInvalid) this.discarded.push({ usage: this.lastInvalid.output.reportedUsage, candidate: this.lastInvalid.candidate });
      this.released = "unchecked";
      return { release: held };
    }
    const result = this.judge(held, c, step.constrained);
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
      { request_id: this.ctx.requestId, stage: "validation", provider: c.provider.id, attempt: this.tries.length, errors: result.errors, next: next?.action ?? "give_up", to },
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
  private judge(output: AttemptOutput, candidate: Candidate, constrained: boolean): CheckResult {
    const result: CheckResult = output.overflowed
      ? { valid: false, errors: [`the answer is longer than ${this.deps.maxAnswerChars} characters, the most held for a check`] }
      : this.check.check(output.text());
    this.tries.push({ provider: candidate.provider.id, constrained, valid: result.valid });
    if (this.lastInvalid) this.discarded.push({ usage: this.lastInvalid.output.reportedUsage, candidate: this.lastInvalid.candidate });
    this.lastInvalid = result.valid ? undefined : { output, candidate, errors: result.errors };
    return result;
  }

  /** After an invalid answer from `candidates[index]`: the next step, or undefined when the attempts are spent. */
  private next(candidates: readonly Candidate[], index: number, constrained: boolean, tried: ReadonlySet<number>): (Step & { action: "retry" | "escalate" }) | undefined {
    if (this.tries.length >= this.deps.maxAttempts) return undefined;
    if (!constrained) return { index, constrained: true, action: "retry" };
    const from = rank(candidates[index]);
    const untried = candidates.map((_, i) => i).filter((i) => !tried.has(i));
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

  /** Nothing validated and the request said `strict: true`: the failure it ends with. */
  strictFailure(): Failure | undefined {
    const f = this.check.format;
    if (f.type !== "json_schema" || !f.strict || this.released !== undefined || !this.lastInvalid) return undefined;
    const why = this.lastInvalid.errors.join("; ");
    return {
      status: 422,
      type: "invalid_request_error",
      code: "validation_failed",
      message: `no answer matched the response_format schema after ${this.tries.length} attempt${this.tries.length === 1 ? "" : "s"}: ${why}`,
      retryable: true,
      stage: "validation",
    };
  }
}

function rank(c: Candidate | undefined): number {
  return TIER_RANK[c?.provider.tier ?? "cloud"] ?? 1;
}
