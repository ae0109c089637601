import pTimeout from "p-timeout";
import { UpstreamError, isRecord } from "../upstream/index.js";
import { childController, FINISHED } from "../util/index.js";
import type { SummarySource } from "../events/index.js";
import { fallbackSummary } from "./fallback.js";
import { MAX_SUMMARY_INPUT_CHARS, PROGRESS_SUMMARY_INSTRUCTION, PROMPT_SUMMARY_INSTRUCTION, REASONING_SUMMARY_INSTRUCTION } from "./prompts.js";

const INSTRUCTIONS: Record<SummaryKind, { text: string; maxTokens: number }> = {
  prompt: { text: PROMPT_SUMMARY_INSTRUCTION, maxTokens: 120 },
  reasoning: { text: REASONING_SUMMARY_INSTRUCTION, maxTokens: 240 },
  progress: { text: PROGRESS_SUMMARY_INSTRUCTION, maxTokens: 60 },
};

const TIMED_OUT: unique symbol = Symbol("summary timed out");

export type SummaryKind = "prompt" | "reasoning" | "progress";

export interface SummaryFailure {
  message: string;
  code: string;
  retryable: boolean;
}

export interface SummaryResult {
  text: string;
  source: SummarySource;
  /** Set when the model call failed and `text` is the sentence fallback. */
  failure: SummaryFailure | undefined;
}

export interface SummaryRequest {
  kind: SummaryKind;
  text: string;
  model: string;
  signal: AbortSignal;
  /** Makes the non-streamed call, wherever the router sends it (failover included). */
  complete: (body: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>;
}

/**
 * Summarise `text` with the summary model, bounded as a whole (retries included) by `timeoutMs`.
 * Never throws for an upstream problem: it falls back to the first sentences and says why.
 * Throws only when the request itself was cancelled, so nobody waits on a dead request.
 */
export function createSummarizer(timeoutMs: number) {
  return async function summarize(req: SummaryRequest): Promise<SummaryResult> {
    const step = childController(req.signal);
    const call = req.complete(buildBody(req), step.signal).then(readSummary);
    try {
      const text = await deadline(call, timeoutMs);
      if (text === TIMED_OUT) return fallback(req, timeoutFailure(timeoutMs));
      if (text === "") throw new UpstreamError({ kind: "http", message: "the summary model returned no text", code: "empty_summary", retryable: false });
      return { text, source: "model", failure: undefined };
    } catch (e) {
      if (req.signal.aborted) throw e;
      return fallback(req, describeFailure(e));
    } finally {
      // Stops the call (and any retry wait) when the timeout won the race.
      step.abort(FINISHED);
      step.dispose();
      call.catch(() => undefined);
    }
  };
}

export type Summarize = ReturnType<typeof createSummarizer>;

// Node's own errors do the same (lib/internal/errors.js); frozen intrinsics would make it read-only.
const STACK_LIMIT_WRITABLE = Object.getOwnPropertyDescriptor(Error, "stackTraceLimit")?.writable === true;

/**
 * `promise`, or TIMED_OUT once `ms` have passed: p-timeout with a fallback value, so a timeout is
 * an answer (the sentence fallback), never an error. p-timeout 7 still builds a TimeoutError for
 * every call before it arms its timer, though with a fallback that error can never be used, and
 * capturing its stack was ≈ 10 µs of every summary call — 2.5 % of the gateway's CPU under load
 * (BENCHMARKS.md). p-timeout 8 skips it, but needs Node 22. So stack capture is off for exactly
 * that synchronous call: the executor runs before pTimeout returns, no other code runs meanwhile,
 * and nothing built in it is ever thrown.
 */
function deadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!STACK_LIMIT_WRITABLE) return pTimeout(promise, { milliseconds: ms, fallback: () => TIMED_OUT });
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return pTimeout(promise, { milliseconds: ms, fallback: () => TIMED_OUT });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function buildBody(req: SummaryRequest): Record<string, unknown> {
  const instruction = INSTRUCTIONS[req.kind];
  return {
    model: req.model,
    stream: false,
    temperature: 0.2,
    max_tokens: instruction.maxTokens,
    messages: [
      { role: "system", content: instruction.text },
      { role: "user", content: clip(req.text) },
    ],
  };
}

function clip(text: string): string {
  if (text.length <= MAX_SUMMARY_INPUT_CHARS) return text;
  const half = MAX_SUMMARY_INPUT_CHARS / 2;
  return `${text.slice(0, half)}\n…\n${text.slice(-half)}`;
}

/** The summary text from a chat.completion, without any reasoning a thinking summary model added. */
function readSummary(body: unknown): string {
  const choice = isRecord(body) && Array.isArray(body.choices) ? (body.choices[0] as unknown) : undefined;
  const message = isRecord(choice) && isRecord(choice.message) ? choice.message : undefined;
  const content = typeof message?.content === "string" ? message.content : "";
  const afterThink = content.split(/<\/think>/i).pop() ?? "";
  return afterThink.replace(/<\/?(final|analysis)>/gi, "").trim();
}

function fallback(req: SummaryRequest, failure: SummaryFailure): SummaryResult {
  return { text: fallbackSummary(req.text), source: "fallback", failure };
}

function timeoutFailure(timeoutMs: number): SummaryFailure {
  return { message: `summary timed out after ${timeoutMs / 1000} s (SUMMARY_TIMEOUT)`, code: "summary_timeout", retryable: true };
}

function describeFailure(e: unknown): SummaryFailure {
  if (e instanceof UpstreamError) return { message: e.message, code: e.code, retryable: e.retryable };
  return { message: e instanceof Error ? e.message : String(e), code: "summary_failed", retryable: false };
}
