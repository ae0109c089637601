/**
 * Live progress summaries while a model reasons: every `intervalMs`, the reasoning that arrived
 * since the previous progress summary (with a little of what came before, for context) is
 * summarised into one short headed line. Rules that keep it cheap and honest:
 * - nothing new since the last one → no call (never more often than reasoning arrives);
 * - at most one call in flight; a tick while one is running is skipped, not queued;
 * - a failed call is skipped silently (the final reasoning summary has the fallback);
 * - `stop()` (reasoning ended, or the request is over) cancels the call in flight at once.
 */

/** Characters of earlier reasoning given as context before the new part. */
const CONTEXT_CHARS = 400;
/** The new part is bounded too: its tail is what the model is working on now. */
const MAX_NEW_CHARS = 6_000;

export type ProgressOutcome = "sent" | "skipped_busy" | "failed" | "cancelled";

export interface ProgressDeps {
  intervalMs: number;
  /** Makes one progress summary of `text`; rejects or resolves `undefined` when it failed. */
  summarize(text: string, signal: AbortSignal): Promise<string | undefined>;
  /** A progress summary to send, numbered from 0. */
  deliver(index: number, text: string): void;
  /** For metrics: what each tick did, and how long a finished call took. */
  record(outcome: ProgressOutcome, latencyMs?: number): void;
  now(): number;
}

export interface ProgressReporter {
  /** A piece of reasoning arrived. */
  reasoning(text: string): void;
  /** Reasoning is over (or the request is): no more ticks, the call in flight is cancelled. */
  stop(): void;
}

export function createProgressReporter(deps: ProgressDeps): ProgressReporter {
  // Reasoning since the last progress summary was started, and the tail of what came before.
  let fresh: string[] = [];
  let freshChars = 0;
  let context = "";
  // The call in flight, if any; its controller cancels it on stop().
  let inFlight: AbortController | undefined;
  let index = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  function tick(): void {
    if (stopped || freshChars === 0) return;
    if (inFlight) {
      deps.record("skipped_busy");
      return;
    }
    const joined = fresh.join("");
    const newPart = joined.length > MAX_NEW_CHARS ? joined.slice(-MAX_NEW_CHARS) : joined;
    const text = context === "" ? newPart : `(earlier) …${context}\n\n(latest) ${newPart}`;
    context = joined.slice(-CONTEXT_CHARS);
    fresh = [];
    freshChars = 0;
    const call = new AbortController();
    inFlight = call;
    const started = deps.now();
    // Settled in the same turn it is counted: stop() in between would count it cancelled as well.
    void deps.summarize(text, call.signal).then(
      (summary) => {
        if (call.signal.aborted) return;
        inFlight = undefined;
        if (summary === undefined || summary.trim() === "") return deps.record("failed");
        deps.record("sent", deps.now() - started);
        deps.deliver(index++, summary);
      },
      () => {
        if (call.signal.aborted) return;
        inFlight = undefined;
        deps.record("failed");
      },
    );
  }

  return {
    reasoning(text) {
      if (stopped || deps.intervalMs <= 0 || text === "") return;
      fresh.push(text);
      freshChars += text.length;
      // While calls are busy the new part keeps growing; only its tail will be used.
      if (freshChars > 2 * MAX_NEW_CHARS) {
        const tail = fresh.join("").slice(-MAX_NEW_CHARS);
        fresh = [tail];
        freshChars = tail.length;
      }
      // The clock starts with the first reasoning, not with the request.
      timer ??= setInterval(tick, deps.intervalMs);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      // A call still running when the reasoning ends was made, and its summary is of no use now.
      if (inFlight) deps.record("cancelled");
      inFlight?.abort();
      inFlight = undefined;
    },
  };
}
