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
 *
 * A plain loop rather than p-retry: almost every call succeeds at once, and p-retry's set-up per
 * call (options, its own abort handling) was 1.8 % of the gateway's CPU under load (BENCHMARKS.md).
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy, signal: AbortSignal): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!(e instanceof UpstreamError)) throw e;
      if (signal.aborted) throw clientGone();
      const retriesLeft = policy.maxRetries - (n - 1);
      if (!e.retryable || retriesLeft <= 0 || (e.retryAfterMs ?? 0) > policy.maxRetryAfterMs) throw e;
      const delayMs = retryDelay(n, policy, e.retryAfterMs);
      policy.onRetry?.({ attempt: n, maxRetries: policy.maxRetries, delayMs, error: e });
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        throw clientGone();
      }
    }
  }
}

function clientGone(): UpstreamError {
  return new UpstreamError({ kind: "aborted", message: "the client went away", retryable: false });
}
