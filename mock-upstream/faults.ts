import { errorBody } from "./openai.js";
import type { OpenAIErrorBody } from "./openai.js";
import type { CallTarget, MockCallKind, MockFaults } from "./types.js";

/** Whether a `fail` fault aimed at `target` applies to a call of `kind`. */
export function matchesTarget(target: CallTarget, kind: MockCallKind): boolean {
  switch (target) {
    case "all":
      return true;
    case "stream":
      return kind === "chat";
    case "summary":
      return kind !== "chat";
    default:
      return kind === target;
  }
}

/** A decided failure: what to answer instead of a completion. */
export interface FailResponse {
  status: number;
  body: OpenAIErrorBody;
  headers: Record<string, string>;
}

/**
 * Counts the calls a `fail` fault matched, so it fails exactly `times` of them and then recovers.
 * Only matching calls count: failing the first three streams must not be used up by summaries.
 */
export interface FailCounter {
  decide(kind: MockCallKind, faults: MockFaults): FailResponse | undefined;
  reset(): void;
}

/** Create a fail counter starting at zero. */
export function createFailCounter(): FailCounter {
  let matched = 0;
  return {
    decide(kind, faults) {
      const fail = faults.fail;
      if (fail === undefined || !matchesTarget(fail.target ?? "stream", kind)) return undefined;
      matched += 1;
      if (matched > fail.times) return undefined;
      const headers: Record<string, string> = {};
      // A 429 without Retry-After is unusual upstream behaviour; send one unless told otherwise.
      const retryAfter = fail.retryAfterSeconds ?? (fail.status === 429 ? 1 : undefined);
      if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
      if (fail.retryAfterMs !== undefined) headers["retry-after-ms"] = String(fail.retryAfterMs);
      const message = fail.message ?? `mock failure ${matched} of ${fail.times} (status ${fail.status})`;
      return { status: fail.status, body: errorBody(fail.status, message, undefined, fail.param), headers };
    },
    reset() {
      matched = 0;
    },
  };
}

/** A fault that interrupts a stream. */
export type StreamFault = "drop" | "error" | "finish_error" | "stall";

/**
 * The stream fault due once `sent` chunks have gone out, if any. At the end of the script every
 * configured fault is due, so a threshold past the last chunk still fires instead of `[DONE]`.
 * When several are due, the most violent wins (drop, then error, finish error, stall).
 */
export function streamFaultAt(faults: MockFaults, sent: number, atEnd: boolean): StreamFault | undefined {
  const due = (n: number | undefined): boolean => n !== undefined && (atEnd || sent >= n);
  if (due(faults.dropAfterChunks)) return "drop";
  if (due(faults.errorAfterChunks)) return "error";
  if (due(faults.finishErrorAfterChunks)) return "finish_error";
  if (due(faults.stallAfterChunks)) return "stall";
  return undefined;
}

/** The in-stream error object some upstreams send instead of a chunk. */
export const IN_STREAM_ERROR = {
  error: { message: "mock in-stream failure", type: "server_error", code: "mock_error" },
} as const;
