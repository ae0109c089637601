import type { Stage } from "../events/index.js";
import { UpstreamError } from "../upstream/index.js";
import { RequestEnded } from "../util/index.js";

/**
 * What a client is told when its request fails, on every surface: the status (when nothing was
 * sent yet), and the `{type, code, message}` of the OpenAI error shape. The table from cause to
 * status lives here and only here (in the spirit of openai-node's `APIError.generate`); the
 * edge's own refusals (`ApiError`) carry their status and join it in http/failure.ts.
 */
export interface Failure {
  status: number;
  type: string;
  code: string;
  message: string;
  retryable: boolean;
  /** The request field at fault (OpenAI's error `param`), when the upstream named one. */
  param?: string;
  /** Sent as `Retry-After` (seconds, rounded up) when known. */
  retryAfterMs?: number;
  headers?: Record<string, string>;
  /** Where a failure after the stream began comes from, for the staged `error` event; default `upstream`. */
  stage?: Stage;
}

/** OpenAI's error `type` for a status; the SDKs pick their error class by status alone. */
export function typeForStatus(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 409) return "conflict_error";
  if (status === 429) return "rate_limit_error";
  if (status === 499) return "client_closed";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** The status for an upstream failure that ends a request before anything was sent. */
function upstreamStatus(e: UpstreamError): number {
  switch (e.kind) {
    case "timeout":
      return 504;
    case "no_provider":
      return 503;
    case "aborted":
      return 499;
    case "request":
      // The request cannot be expressed in the provider's API (tool arguments that are not
      // JSON): the client's mistake, whichever provider it went to.
      return 400;
    default:
      // The upstream's own 4xx is the useful part (its message says what was wrong); anything
      // else it did wrong makes us a bad gateway.
      return e.status !== undefined && e.status >= 400 && e.status < 500 ? e.status : 502;
  }
}

/** Map what a running request failed with onto what its client sees. */
export function failureOf(e: unknown): Failure {
  if (e instanceof UpstreamError && e.credentialsRefused) {
    // The gateway's key, not the client's: never the client's 401/403 (its SDK would blame its
    // own key), and not the upstream's message, which may quote part of the key.
    return {
      status: 502,
      type: "upstream_error",
      code: "upstream_auth_failed",
      message: `the upstream refused the gateway's credentials (HTTP ${e.status ?? "error"}); the gateway's operator must fix its key`,
      retryable: false,
    };
  }
  if (e instanceof UpstreamError) {
    const status = upstreamStatus(e);
    // An upstream's 4xx keeps the type it gave; our own verdicts use the table.
    const ownType = e.kind === "http" && status < 500 && e.type !== "upstream_error";
    return {
      status,
      type: ownType ? e.type : status >= 500 ? "upstream_error" : typeForStatus(status),
      code: e.code,
      message: e.message,
      retryable: e.retryable,
      ...(e.param !== undefined && { param: e.param }),
      ...(e.retryAfterMs !== undefined && (e.kind === "no_provider" || status === 429) && { retryAfterMs: e.retryAfterMs }),
    };
  }
  if (e instanceof RequestEnded) return { status: e.status, type: typeForStatus(e.status), code: e.code, message: e.message, retryable: e.retryable };
  return { status: 500, type: "server_error", code: "internal_error", message: "internal gateway error", retryable: false };
}
