/**
 * A controller that follows `parent`: aborted when the parent is, abortable on its own.
 * Cheaper than `AbortSignal.any` on Node 20 (the profile showed it), and `dispose()` detaches
 * the listener so a long-lived parent does not collect one per child. Without a parent it is a
 * plain controller (no listener anywhere).
 */
export interface ChildController {
  signal: AbortSignal;
  abort(reason: unknown): void;
  dispose(): void;
}

export function childController(parent?: AbortSignal): ChildController {
  const c = new AbortController();
  if (!parent) return { signal: c.signal, abort: (reason) => c.abort(reason), dispose: () => undefined };
  const follow = () => c.abort(parent.reason);
  if (parent.aborted) follow();
  else parent.addEventListener("abort", follow, { once: true });
  return {
    signal: c.signal,
    abort: (reason) => c.abort(reason),
    dispose: () => parent.removeEventListener("abort", follow),
  };
}

/**
 * Reasons for aborts we start ourselves. Constants: `abort()` without a reason builds a new
 * DOMException (with a stack) every time, which showed up in the profile.
 */
export const FINISHED = Object.freeze(new Error("the request finished"));
export const CANCELLED = Object.freeze(new Error("the response was cancelled"));

/**
 * Why the gateway itself ended a request that was still running (not the client, not the
 * upstream): used as the abort reason, so the pipeline can tell the client what happened.
 */
export class RequestEnded extends Error {
  override readonly name = "RequestEnded";
  constructor(
    readonly code: "shutting_down" | "deadline_exceeded" | "client_too_slow",
    message: string,
    /** The status when nothing was sent yet. */
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
