import { UpstreamError } from "./errors.js";
import type { StreamCall } from "./stream.js";

/** Marks an abort that our own timer caused, so it maps to a timeout rather than a client abort. */
const TIMED_OUT = Symbol("timed out");

/**
 * One upstream attempt's abort: it follows the run's signal and its own REQUEST_TIMEOUT timer,
 * whose abort it marks with TIMED_OUT. What undici is given as the request's `signal`: it adds one
 * `abort` listener and removes it when the response is over, which is all this keeps. Not an
 * AbortController: that is an EventTarget with its listener maps, ≈ 0.8 KB of every open stream,
 * for one listener. It listens to the run's signal as an object (`handleEvent`), and its timer
 * calls a module function with it: no closure per attempt.
 */
export class UpstreamCall implements StreamCall {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: AbortSignal,
    private readonly timeoutMs: number,
  ) {
    client.addEventListener("abort", this, { once: true });
    this.startTimer();
  }

  /** What undici is handed: it reads `aborted` and `reason` and adds one `abort` listener. */
  get signal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  addEventListener(_type: "abort", listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    if (this.listener === listener) this.listener = undefined;
  }

  /** The run's signal aborted: so does this call, with its reason. */
  handleEvent(): void {
    this.abort(this.client.reason);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }

  /** REQUEST_TIMEOUT from now: the wait for headers, or for a whole non-streamed body. */
  startTimer(): void {
    this.timer = setTimeout(timeOutCall, this.timeoutMs, this);
  }

  stopTimer(): void {
    clearTimeout(this.timer);
    // Let the Timeout go: a streamed call lives on for minutes without it.
    this.timer = undefined;
  }

  timeOut(): void {
    this.abort(TIMED_OUT);
  }

  classify(e: unknown): UpstreamError {
    return toUpstreamError(e, this, this.client, this.timeoutMs);
  }

  /** The call is over: its timer and its listener on the run's signal go. */
  release(): void {
    clearTimeout(this.timer);
    this.client.removeEventListener("abort", this);
  }
}

function timeOutCall(call: UpstreamCall): void {
  call.timeOut();
}

/** Map anything thrown while talking to the upstream onto one of our error kinds. */
function toUpstreamError(e: unknown, attempt: { aborted: boolean; reason: unknown }, client: AbortSignal, timeoutMs: number): UpstreamError {
  if (e instanceof UpstreamError) return e;
  if (client.aborted) return new UpstreamError({ kind: "aborted", message: "the client went away", retryable: false, cause: e });
  if (attempt.aborted && attempt.reason === TIMED_OUT) {
    return new UpstreamError({
      kind: "timeout",
      message: `the upstream sent nothing for ${Math.round(timeoutMs / 1000)} s (REQUEST_TIMEOUT)`,
      retryable: false,
      cause: e,
    });
  }
  return new UpstreamError({ kind: "connection", message: `cannot reach the upstream: ${describe(e)}`, cause: e });
}

/** An error's message, with its cause's when that says more. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? e.cause.message : undefined;
    return cause && cause !== e.message ? `${e.message} (${cause})` : e.message;
  }
  return String(e);
}
