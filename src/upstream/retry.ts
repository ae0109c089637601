import pRetry, { AbortError } from "p-retry";
import { setTimeout as sleep } from "node:timers/promises";
import { UpstreamError } from "./errors.js";

export interface RetryPolicy {
  maxRetries: number;
  /** First backoff; doubles each retry, randomised ×1–2 so synchronised clients spread out. */
  backoffMs: number;
  /** A `Retry-After` longer than this is not waited for: the failure is returned at once. */
  maxRetryAfterMs: number;
  onRetry?: (info: { attempt: number; error: UpstreamError }) => void;
}

/**
 * Run `attempt` until it succeeds, retrying only `retryable` UpstreamErrors. Callers must make
 * `attempt` fail only before any body byte was consumed: this is what keeps a stream from
 * ever being replayed.
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
      minTimeout: policy.backoffMs,
      factor: 2,
      randomize: true,
      signal,
      shouldRetry: ({ error }) =>
        error instanceof UpstreamError && (error.retryAfterMs ?? 0) <= policy.maxRetryAfterMs,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (!(error instanceof UpstreamError) || retriesLeft === 0) return;
        if ((error.retryAfterMs ?? 0) > policy.maxRetryAfterMs) return;
        policy.onRetry?.({ attempt: attemptNumber, error });
        // Honour Retry-After on top of the backoff p-retry adds; the upstream asked for at least this.
        if (error.retryAfterMs) await sleep(error.retryAfterMs, undefined, { signal });
      },
    },
  ).catch((e: unknown) => {
    // p-retry rejects with the AbortError's original error, or with the signal's reason on abort.
    if (e instanceof UpstreamError) throw e;
    if (signal.aborted) throw new UpstreamError({ kind: "aborted", message: "the client went away", retryable: false });
    throw e;
  });
}
