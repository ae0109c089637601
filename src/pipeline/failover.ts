import type { Logger } from "pino";
import type { Candidate, RoutePlan, Router } from "../providers/index.js";
import { UpstreamError, type UpstreamClient } from "../upstream/index.js";
import type { RequestObserver } from "../events/index.js";
import { completionFacts, type CallParent } from "../telemetry/index.js";

export interface FailoverDeps {
  client: UpstreamClient;
  router: Router;
  observer: RequestObserver;
  logger: Logger;
  maxRetries: number;
  now: () => number;
}

/** Retrying one provider only makes sense when it is the last one left to try. */
export function retriesFor(plan: RoutePlan, index: number, maxRetries: number): number {
  return index === plan.candidates.length - 1 ? maxRetries : 0;
}

/**
 * Tell the router how a provider did; a request's own 4xx says nothing about the provider.
 * Refused credentials take the provider out of rotation and are logged at error level, once per
 * time the circuit opens (a provider already open says nothing new).
 */
export function reportFailure(deps: { router: Router; logger: Logger }, c: Candidate, e: UpstreamError): void {
  if (!e.providerFault) return;
  const wasOpen = e.credentialsRefused && deps.router.stateOf(c) === "open";
  deps.router.failure(c, { rateLimited: e.status === 429, retryAfterMs: e.retryAfterMs, credentialsRefused: e.credentialsRefused });
  if (!e.credentialsRefused || wasOpen) return;
  deps.logger.error(
    { provider: c.provider.id, status: e.status, code: e.code, upstream_message: e.message, open_seconds: deps.router.health.max_open_seconds },
    "the upstream refused the gateway's credentials: provider out of rotation until its key is fixed",
  );
}

export function asUpstreamError(e: unknown): UpstreamError {
  return e instanceof UpstreamError
    ? e
    : new UpstreamError({ kind: "stream", message: e instanceof Error ? e.message : String(e), retryable: false, cause: e });
}

export function noProvider(plan: RoutePlan): UpstreamError {
  return new UpstreamError({
    kind: "no_provider",
    message: `no provider available: ${plan.reason}`,
    retryable: true,
    ...(plan.retryAfterMs !== undefined && { retryAfterMs: plan.retryAfterMs }),
  });
}

/**
 * A non-streamed call (a summary) through a plan's candidates: the next one on any failure a
 * different provider could fix. Used as the summarizer's `complete`.
 */
export async function completeVia(
  plan: RoutePlan,
  body: (upstreamModel: string) => Record<string, unknown>,
  signal: AbortSignal,
  deps: FailoverDeps,
  requestId: string,
  onRetry: (info: { provider: string; attempt: number; maxRetries: number; delayMs: number; error: UpstreamError }) => void,
  trace: CallParent,
): Promise<unknown> {
  let last: UpstreamError | undefined;
  for (const [i, c] of plan.candidates.entries()) {
    if (!(await deps.router.acquire(c))) continue;
    const started = deps.now();
    const call = trace.call(c);
    try {
      const result = await deps.client.complete(c.provider.target, body(c.upstreamModel), signal, {
        maxRetries: retriesFor(plan, i, deps.maxRetries),
        onRetry: ({ attempt, maxRetries, delayMs, error }) => onRetry({ provider: c.provider.id, attempt, maxRetries, delayMs, error }),
        watch: call,
      });
      deps.router.success(c, deps.now() - started);
      call.done(completionFacts(result));
      return result;
    } catch (e) {
      const err = asUpstreamError(e);
      call.failed(err);
      last = err;
      if (signal.aborted) throw err;
      reportFailure(deps, c, err);
      if (!err.failoverable) throw err;
      const next = plan.candidates[i + 1];
      if (next) deps.observer.failover({ id: requestId, from: c.provider.id, to: next.provider.id, reason: err.code });
    } finally {
      deps.router.release(c);
    }
  }
  throw last ?? noProvider(plan);
}

/** One retry of an upstream call, as the pipeline reports it. */
export interface RetryInfo {
  provider: string;
  attempt: number;
  maxRetries?: number;
  delayMs?: number;
  error: UpstreamError;
}

/** Tell the observers, and log, that an upstream call failed and is being retried. */
export function logRetry(deps: { observer: RequestObserver; logger: Logger }, requestId: string, stage: string, info: RetryInfo): void {
  const { error } = info;
  deps.observer.retry({ id: requestId, provider: info.provider, attempt: info.attempt, status: error.status, code: error.code });
  deps.logger.warn(
    {
      request_id: requestId,
      provider: info.provider,
      stage,
      attempt: info.attempt,
      max_retries: info.maxRetries,
      delay_ms: info.delayMs === undefined ? undefined : Math.round(info.delayMs),
      status: error.status,
      code: error.code,
      err: error.message,
    },
    "upstream call failed; retrying",
  );
}
