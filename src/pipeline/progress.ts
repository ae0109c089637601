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
  return new Reporter(deps);
}

/** The interval's callback (a module function: no closure per stream). */
function tick(reporter: Reporter): void {
  reporter.tick();
}

/** A class rather than an object of closures: one prototype for every reasoning stream's reporter. */
class Reporter implements ProgressReporter {
  // Reasoning since the last progress summary was started, and the tail of what came before.
  private fresh: string[] = [];
  private freshChars = 0;
  private context = "";
  // The call in flight, if any; its controller cancels it on stop().
  private inFlight: AbortController | undefined;
  private index = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: ProgressDeps) {}

  reasoning(text: string): void {
    if (this.stopped || this.deps.intervalMs <= 0 || text === "") return;
    this.fresh.push(text);
    this.freshChars += text.length;
    // While calls are busy the new part keeps growing; only its tail will be used.
    if (this.freshChars > 2 * MAX_NEW_CHARS) {
      const tail = this.fresh.join("").slice(-MAX_NEW_CHARS);
      this.fresh = [tail];
      this.freshChars = tail.length;
    }
    // The clock starts with the first reasoning, not with the request.
    this.timer ??= setInterval(tick, this.deps.intervalMs, this);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    // A call still running when the reasoning ends was made, and its summary is of no use now.
    if (this.inFlight) this.deps.record("cancelled");
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  tick(): void {
    const deps = this.deps;
    if (this.stopped || this.freshChars === 0) return;
    if (this.inFlight) {
      deps.record("skipped_busy");
      return;
    }
    const joined = this.fresh.join("");
    const newPart = joined.length > MAX_NEW_CHARS ? joined.slice(-MAX_NEW_CHARS) : joined;
    const text = this.context === "" ? newPart : `(earlier) …${this.context}\n\n(latest) ${newPart}`;
    this.context = joined.slice(-CONTEXT_CHARS);
    this.fresh = [];
    this.freshChars = 0;
    const call = new AbortController();
    this.inFlight = call;
    const started = deps.now();
    // Settled in the same turn it is counted: stop() in between would count it cancelled as well.
    void deps.summarize(text, call.signal).then(
      (summary) => {
        if (call.signal.aborted) return;
        this.inFlight = undefined;
        if (summary === undefined || summary.trim() === "") return deps.record("failed");
        deps.record("sent", deps.now() - started);
        deps.deliver(this.index++, summary);
      },
      () => {
        if (call.signal.aborted) return;
        this.inFlight = undefined;
        deps.record("failed");
      },
    );
  }
}
