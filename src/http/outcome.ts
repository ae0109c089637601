import type { RequestOutcome } from "../events/index.js";
import type { Failure, RunEnd } from "../pipeline/index.js";

/** What a client got, in the one vocabulary the request log, the log line and the metrics share. */
export interface Settled {
  outcome: RequestOutcome;
  /** The HTTP status the client received: once a stream has begun it is 200, whatever follows. */
  status: number;
  /** The failure to tell the client: its status (if nothing was sent) or an in-stream error. */
  failure: Failure | undefined;
}

/** The status a client gets when it left before anything was sent (nginx's "client closed request"). */
export const CLIENT_CLOSED_STATUS = 499;

/**
 * How a run ended, as its client saw it. The HTTP edge alone decides this, because it alone
 * knows whether the response had begun: a failure before that is the failure's own status
 * (`upstream_error`), after it an in-stream error on a 200 (`stream_error`).
 */
export function settle(end: RunEnd, began: boolean): Settled {
  switch (end.kind) {
    case "ok":
      return { outcome: "ok", status: 200, failure: undefined };
    case "client_closed":
      return { outcome: "client_closed", status: began ? 200 : CLIENT_CLOSED_STATUS, failure: undefined };
    case "rejected":
      return { outcome: "rejected", status: end.failure.status, failure: end.failure };
    case "aborted":
      return { outcome: "aborted", status: began ? 200 : end.failure.status, failure: end.failure };
    case "failed":
      return { outcome: began ? "stream_error" : "upstream_error", status: began ? 200 : end.failure.status, failure: end.failure };
  }
}
