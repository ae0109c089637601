import type { CheckKind, CheckResult } from "./checker.js";
import { ValidationBudgetError } from "./errors.js";
import { ResponseFormatError, type AnswerFormat } from "./format.js";
import { schemaLimitProblem } from "./limits.js";
import { createWorkerPool, type JobReply, type PoolOptions } from "./pool.js";

/** A compiled check for one request's format. */
export interface AnswerCheck {
  readonly format: AnswerFormat;
  /**
   * Check an answer, off the event loop and within the budget. A plain function (no `this`).
   * Rejects with ValidationBudgetError (the check cost too much), ValidationBusyError (every
   * worker busy, the queue full), ValidationUnavailableError, or the signal's reason.
   */
  readonly check: (text: string, signal?: AbortSignal) => Promise<CheckResult>;
}

export interface AnswerValidator {
  /**
   * The check for a format, its schema held to SCHEMA_LIMITS and compiled (in a worker) before
   * any upstream call. Rejects with ResponseFormatError (the client's 400) when the schema breaks
   * a limit, does not compile, or cannot be compiled within the budget.
   */
  prepare(format: AnswerFormat, signal?: AbortSignal): Promise<AnswerCheck>;
  /** Stop the workers (the process can also just exit: idle workers do not hold it). */
  close(): Promise<void>;
}

export interface AnswerValidatorOptions {
  /** Distinct schemas each worker keeps compiled; the least recently used goes first. */
  cacheSize: number;
  /** Validation worker threads at most. */
  workers: number;
  /** Checks waiting for a worker at most. */
  queueLimit: number;
  /** VALIDATION_BUDGET_MS: how long one compile or check may run. */
  budgetMs: number;
  /** Each worker's heap, in MB. */
  heapMb: number;
  /** A worker idle this long ends (default 30 s). */
  idleMs?: number;
  /** The worker's script (tests only). */
  script?: PoolOptions["script"];
}

const FIELD = "response_format.json_schema.schema";

/**
 * Schema-validated answers, checked where a hostile schema or answer cannot hurt the gateway:
 * the schema is held to SCHEMA_LIMITS on the event loop (one linear pass), then compiled and every
 * answer checked in a small pool of worker threads, each job within VALIDATION_BUDGET_MS and a
 * bounded heap. Before, `uniqueItems` over a 60k-item answer blocked the event loop for 25 s.
 */
export function createAnswerValidator(opts: AnswerValidatorOptions): AnswerValidator {
  const pool = createWorkerPool({
    size: opts.workers,
    queueLimit: opts.queueLimit,
    budgetMs: opts.budgetMs,
    heapMb: opts.heapMb,
    idleMs: opts.idleMs ?? 30_000,
    settings: { cacheSize: opts.cacheSize },
    ...(opts.script && { script: opts.script }),
  });

  const checkWith =
    (kind: CheckKind, schema: string | undefined) =>
    async (text: string, signal?: AbortSignal): Promise<CheckResult> => {
      const reply = await pool.run({ op: "check", kind, schema, text }, signal);
      if (reply.type === "checked") return reply.result;
      throw budgetError(reply);
    };

  return {
    async prepare(format, signal) {
      if (format.type === "json_object") return { format, check: checkWith("object", undefined) };
      const schema = format.schema;
      if (schema === undefined) return { format, check: checkWith("json", undefined) };
      // Checked as 2020-12 whatever `$schema` says: naming draft-07 (zod-to-json-schema does) must not
      // fail the request, and the two agree on everything but tuple `items`.
      const own = typeof schema === "boolean" ? schema : withoutDialect(schema);
      const json = JSON.stringify(own);
      const problem = schemaLimitProblem(own, json);
      if (problem) throw new ResponseFormatError(`${FIELD}: the schema ${problem}`, "schema_too_complex");
      // An async schema's check returns a promise: nothing here could wait for it.
      if (typeof own !== "boolean" && own.$async === true) throw new ResponseFormatError(`${FIELD}: $async schemas are not supported`, "invalid_json_schema");
      let reply: JobReply;
      try {
        reply = await pool.run({ op: "compile", schema: json }, signal);
      } catch (e) {
        if (!(e instanceof ValidationBudgetError)) throw e;
        throw new ResponseFormatError(`${FIELD}: compiling the schema ${e.message}; simplify it`, "schema_too_complex");
      }
      if (reply.type === "overflow") throw new ResponseFormatError(`${FIELD}: compiling the schema recursed too deeply; simplify it`, "schema_too_complex");
      if (reply.type === "compiled" && reply.error !== undefined) throw new ResponseFormatError(`${FIELD}: ${reply.error}`, "invalid_json_schema");
      return { format, check: checkWith("schema", json) };
    },
    close: () => pool.close(),
  };
}

function budgetError(reply: JobReply): ValidationBudgetError {
  return reply.type === "overflow"
    ? new ValidationBudgetError("stack", "recursed deeper than the stack allows")
    : new ValidationBudgetError("time", "ended without an answer");
}

function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  if (!("$schema" in schema)) return schema;
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}
