import pRetry from "p-retry";
import { setTimeout as sleep } from "node:timers/promises";
import { UpstreamError } from "./errors.js";

/** No single backoff wait is longer than this, however many retries are configured. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * The longest wait an upstream may ask for (`retry-after-ms` / `Retry-After`) that is still
 * waited: openai-node's "reasonable" bound. A longer one is not retried at all.
 */
export const MAX_SERVER_DELAY_MS = 60_000;

/** What a retry hook learns: enough to log and to tell a client what is happening and for how long. */
export interface RetryInfo {
  /** The attempt that failed (1 = the first call). */
  attempt: number;
  /** Retries allowed for this call in all. */
  maxRetries: number;
  /** How long we wait before the next attempt: the server's delay when it gave one, else backoff. */
  delayMs: number;
  error: UpstreamError;
}

export interface RetryPolicy {
  maxRetries: number;
  /** First backoff; doubles each retry, randomised ×1–2 so synchronised clients spread out. */
  backoffMs: number;
  /** A server delay longer than this (or than MAX_SERVER_DELAY_MS) is not waited: the failure is returned at once. */
  maxRetryAfterMs: number;
  /** Source of jitter; Math.random by default. */
  random?: () => number;
  onRetry?: (info: RetryInfo) => void;
  /** Waits `ms`, rejecting when `signal` aborts first. Node's timer by default; tests pass a fake clock. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * The wait before retry number `attempt` (1-based), openai-node's rule: the server's own delay
 * (`retry-after-ms`, else `Retry-After`) when it gave a reasonable one (0 < d ≤ 60 s), exactly,
 * with nothing added; otherwise capped exponential backoff with jitter. Undefined when the server
 * asked for longer than the gateway waits: that failure goes back at once (with its Retry-After,
 * and the provider cools down that long), rather than being retried sooner than the server asked.
 */
export function retryDelay(attempt: number, policy: RetryPolicy, serverDelayMs: number | undefined): number | undefined {
  if (serverDelayMs !== undefined && serverDelayMs > Math.min(MAX_SERVER_DELAY_MS, policy.maxRetryAfterMs)) return undefined;
  if (serverDelayMs !== undefined && serverDelayMs > 0) return serverDelayMs;
  const jitter = 1 + (policy.random ?? Math.random)();
  return Math.min(MAX_BACKOFF_MS, Math.round(policy.backoffMs * 2 ** (attempt - 1) * jitter));
}

/**
 * Run `attempt` until it succeeds, retrying only `retryable` UpstreamErrors, at most
 * `maxRetries` times. Callers must make `attempt` fail only before any body byte was consumed:
 * this is what keeps a stream from ever being replayed.
 *
 * The first attempt runs bare: almost every call succeeds at once, and building p-retry's loop
 * for it cost ≈ 15 µs per call (BENCHMARKS.md). Only a call that failed enters p-retry.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy | (() => RetryPolicy), signal: AbortSignal): Promise<T> {
  let first: UpstreamError;
  let p: RetryPolicy;
  try {
    return await attempt(1);
  } catch (e) {
    if (!(e instanceof UpstreamError)) throw e;
    if (signal.aborted) throw clientGone();
    // A policy given as a function is built only here, for a call that failed (most never do).
    p = typeof policy === "function" ? policy() : policy;
    if (!e.retryable || p.maxRetries <= 0) throw e;
    first = e;
  }
  return retryAfter(first, attempt, p, signal);
}

/** p-retry from the failed first attempt on: it replays that failure as attempt 1, then calls for real. */
async function retryAfter<T>(first: UpstreamError, attempt: (n: number) => Promise<T>, policy: RetryPolicy, signal: AbortSignal): Promise<T> {
  const wait = policy.sleep ?? ((ms: number, s: AbortSignal) => sleep(ms, undefined, { signal: s }));
  try {
    return await pRetry((n) => (n === 1 ? Promise.reject(first) : attempt(n)), {
      retries: policy.maxRetries,
      // The waits are ours (the server's delay or backoff), taken in onFailedAttempt so the hook
      // can say how long before it starts; p-retry's own delay stays zero.
      minTimeout: 0,
      // Throwing here ends the loop with that error (p-retry's documented way to stop).
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (signal.aborted) throw clientGone();
        if (!(error instanceof UpstreamError) || !error.retryable || retriesLeft <= 0) throw error;
        const delayMs = retryDelay(attemptNumber, policy, error.retryAfterMs);
        if (delayMs === undefined) throw error;
        policy.onRetry?.({ attempt: attemptNumber, maxRetries: policy.maxRetries, delayMs, error });
        await wait(delayMs, signal);
      },
    });
  } catch (e) {
    if (signal.aborted) throw clientGone();
    throw e;
  }
}

function clientGone(): UpstreamError {
  return new UpstreamError({ kind: "aborted", message: "the client went away", retryable: false });
}
