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
  return new Child(parent);
}

/** One class for every request's controller: no object of closures per request; it follows its parent as a `handleEvent` listener. */
class Child implements ChildController {
  private readonly c = new AbortController();

  constructor(private readonly parent: AbortSignal | undefined) {
    if (!parent) return;
    if (parent.aborted) this.handleEvent();
    else parent.addEventListener("abort", this, { once: true });
  }

  get signal(): AbortSignal {
    return this.c.signal;
  }

  abort(reason: unknown): void {
    this.c.abort(reason);
  }

  /** The parent aborted. */
  handleEvent(): void {
    this.c.abort(this.parent?.reason);
  }

  dispose(): void {
    this.parent?.removeEventListener("abort", this);
  }
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
