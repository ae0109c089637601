import { HTTPException } from "hono/http-exception";
import { failureOf, typeForStatus, type Failure } from "../pipeline/index.js";
import { SurfaceInputError } from "../surfaces/index.js";
import { ApiError } from "./errors.js";

/** Anything a request can fail with, at the edge or later, as its client sees it. */
export function clientFailure(e: unknown): Failure {
  if (e instanceof ApiError)
    return {
      status: e.status,
      type: e.type,
      code: e.code,
      message: e.message,
      retryable: e.status === 429,
      headers: e.headers,
      ...(e.param !== undefined && { param: e.param }),
    };
  if (e instanceof SurfaceInputError) return { status: 400, type: "invalid_request_error", code: e.code, message: e.message, retryable: false };
  if (e instanceof HTTPException)
    return { status: e.status, type: typeForStatus(e.status), code: "bad_request", message: e.message || "bad request", retryable: false };
  return failureOf(e);
}

/** Headers that go with a failure's JSON body. */
export function failureHeaders(f: Failure, extra: Record<string, string> = {}): Record<string, string> {
  const headers = { ...f.headers, ...extra };
  if (f.retryAfterMs !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(f.retryAfterMs / 1000)));
  return headers;
}

/** The OpenAI error body; `param` only when a field is at fault, as the SDKs read it (err.param). */
export function failureBody(f: Pick<Failure, "message" | "type" | "code" | "param">) {
  return { error: { message: f.message, type: f.type, code: f.code, ...(f.param !== undefined && { param: f.param }) } };
}

/** A JSON error response for a failure. */
export function failureResponse(f: Failure, extraHeaders: Record<string, string> = {}): Response {
  return Response.json(failureBody(f), { status: f.status, headers: failureHeaders(f, extraHeaders) });
}
