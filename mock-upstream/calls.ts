import type { MockCall, MockCallOutcome } from "./types.js";

/** What the chat route knows about a call when it arrives. */
export type CallArrival = Pick<MockCall, "kind" | "stream" | "model" | "path" | "body" | "headers"> & Partial<Pick<MockCall, "api">>;

/**
 * The record of every chat-completions call, plus change notification so `waitFor` reacts to
 * events instead of polling. Calls are mutated in place: tests may hold a `MockCall` and watch it.
 */
export interface CallLog {
  /** The same array for the mock's whole life; `reset()` empties it rather than replacing it. */
  readonly calls: MockCall[];
  record(arrival: CallArrival): MockCall;
  setStatus(call: MockCall, status: number): void;
  countChunk(call: MockCall): void;
  /** Total body bytes written so far (hostile streams, where chunks are not the unit). */
  countBytes(call: MockCall, total: number): void;
  /** Move a pending call to its final outcome; later attempts are ignored (the first cause wins). */
  finish(call: MockCall, outcome: Exclude<MockCallOutcome, "pending">): void;
  reset(): void;
  waitFor(predicate: (calls: MockCall[]) => boolean, timeoutMs?: number): Promise<void>;
}

/** Create an empty call log. */
export function createCallLog(): CallLog {
  const calls: MockCall[] = [];
  // Ids restart after reset so a test's first call is always id 1.
  let nextId = 1;
  const listeners = new Set<() => void>();

  function notify(): void {
    for (const listener of [...listeners]) listener();
  }

  return {
    calls,
    record(arrival) {
      const call: MockCall = {
        id: nextId++,
        ...arrival,
        receivedAt: performance.now(),
        status: 0,
        outcome: "pending",
        chunksSent: 0,
      };
      calls.push(call);
      notify();
      return call;
    },
    setStatus(call, status) {
      call.status = status;
      notify();
    },
    countChunk(call) {
      call.chunksSent += 1;
      notify();
    },
    countBytes(call, total) {
      call.bytesSent = total;
      notify();
    },
    finish(call, outcome) {
      if (call.outcome !== "pending") return;
      call.outcome = outcome;
      call.endedAt = performance.now();
      notify();
    },
    reset() {
      calls.length = 0;
      nextId = 1;
      notify();
    },
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        // A throwing predicate must not escape into the route that notified us.
        const check = (): void => {
          let done: boolean;
          try {
            done = predicate(calls);
          } catch (err) {
            cleanup();
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          if (!done) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          const seen = calls.map((c) => `#${c.id} ${c.kind} ${c.status} ${c.outcome} chunks=${c.chunksSent}`);
          reject(new Error(`mock waitFor timed out after ${timeoutMs} ms; calls: [${seen.join("; ")}]`));
        }, timeoutMs);
        const listener = check;
        function cleanup(): void {
          clearTimeout(timer);
          listeners.delete(listener);
        }
        listeners.add(listener);
        check();
      });
    },
  };
}
