import type { RequestObserver } from "../events/index.js";
import type { Logger } from "./logger.js";

type ObserverMethod = keyof RequestObserver;

/** Told about an observer that threw; must not throw itself (its errors are swallowed too). */
export type ObserverErrorHandler = (err: unknown, method: ObserverMethod, index: number) => void;

/**
 * Fans every call out to all `observers`, in order. Observing is never worth failing a request
 * over, so an observer that throws (or returns a promise that rejects) is skipped and the rest
 * still run.
 */
export function combineObservers(...observers: RequestObserver[]): RequestObserver {
  return fanOut(observers, undefined);
}

/** Like {@link combineObservers}, but logs each observer failure as a warning. */
export function combineObserversWithLogger(logger: Pick<Logger, "warn">, ...observers: RequestObserver[]): RequestObserver {
  return fanOut(observers, (err, method, index) => logger.warn({ err, method, observer: index }, "request observer failed"));
}

function fanOut(observers: readonly RequestObserver[], onError: ObserverErrorHandler | undefined): RequestObserver {
  const list = [...observers];
  const report = (err: unknown, method: ObserverMethod, index: number): void => {
    try {
      onError?.(err, method, index);
    } catch {
      // A broken reporter is no reason to break the request either.
    }
  };

  function call<M extends ObserverMethod>(method: M, arg: Parameters<NonNullable<RequestObserver[M]>>[0]): void {
    list.forEach((o, index) => {
      try {
        const fn = o[method] as ((a: typeof arg) => unknown) | undefined;
        if (!fn) return;
        // The interface says void, but an async implementation still type-checks; an unhandled
        // rejection from it would take the whole process down, so catch that too.
        const result = fn.call(o, arg);
        if (result instanceof Promise) void result.catch((err: unknown) => report(err, method, index));
      } catch (err) {
        report(err, method, index);
      }
    });
  }

  return {
    started: (info) => call("started", info),
    retry: (info) => call("retry", info),
    failover: (info) => call("failover", info),
    summaryFallback: (info) => call("summaryFallback", info),
    progress: (info) => call("progress", info),
    validation: (info) => call("validation", info),
    unrecognisedReasoning: (info) => call("unrecognisedReasoning", info),
    finished: (record) => call("finished", record),
  };
}
