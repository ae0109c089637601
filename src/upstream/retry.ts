import pRetry, { AbortError } from "p-retry";
import { setTimeout as sleep } from "node:timers/promises";
import { UpstreamError } from "./errors.js";

/** No single backoff wait is longer than this, however many retries are configured. */
export const MAX_BACKOFF_MS = 30_000;

/** What a retry hook learns: enough to log and to tell a client what is happening and for how long. */
export interface RetryInfo {
  /** The attempt that failed (1 = the first call). */
  attempt: number;
  /** Retries allowed for this call in all. */
  maxRetries: number;
  /** How long we wait before the next attempt (backoff plus any Retry-After). */
  delayMs: number;
  error: UpstreamError;
}

export interface RetryPolicy {
  maxRetries: number;
  /** First backoff; doubles each retry, randomised ×1–2 so synchronised clients spread out. */
  backoffMs: number;
  /** A `Retry-After` longer than this is not waited for: the failure is returned at once. */
  maxRetryAfterMs: number;
  /** Source of jitter; Math.random by default. */
  random?: () => number;
  onRetry?: (info: RetryInfo) => void;
}

/** The wait before retry number `attempt` (1-based): capped exponential backoff, then Retry-After on top. */
export function retryDelay(attempt: number, policy: RetryPolicy, retryAfterMs: number | undefined): number {
  const jitter = 1 + (policy.random ?? Math.random)();
  const backoff = Math.min(MAX_BACKOFF_MS, Math.round(policy.backoffMs * 2 ** (attempt - 1) * jitter));
  return backoff + (retryAfterMs ?? 0);
}

/**
 * Run `attempt` until it succeeds, retrying only `retryable` UpstreamErrors, at most
 * `maxRetries` times. Callers must make `attempt` fail only before any body byte was consumed:
 * this is what keeps a stream from ever being replayed.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
): Promise<T> {
  return pRetry(
    async (n) => {
      try {
        return await attempt(n);
      } catch (e) {
        // Non-retryable failures stop at once; p-retry's AbortError carries them out unchanged.
        if (e instanceof UpstreamError && (!e.retryable || signal.aborted)) throw new AbortError(e);
        throw e;
      }
    },
    {
      retries: policy.maxRetries,
      // The wait is ours (below), so the hook can say how long it is before it starts.
      minTimeout: 0,
      signal,
      shouldRetry: ({ error }) => error instanceof UpstreamError && (error.retryAfterMs ?? 0) <= policy.maxRetryAfterMs,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (!(error instanceof UpstreamError) || retriesLeft === 0) return;
        if ((error.retryAfterMs ?? 0) > policy.maxRetryAfterMs) return;
        const delayMs = retryDelay(attemptNumber, policy, error.retryAfterMs);
        policy.onRetry?.({ attempt: attemptNumber, maxRetries: policy.maxRetries, delayMs, error });
        await sleep(delayMs, undefined, { signal });
      },
    },
  ).catch((e: unknown) => {
    // p-retry rejects with the AbortError's original error, or with the signal's reason on abort.
    if (e instanceof UpstreamError) throw e;
    if (signal.aborted) throw new UpstreamError({ kind: "aborted", message: "the client went away", retryable: false });
    throw e;
  });
}
