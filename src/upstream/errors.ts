/**
 * Everything that can go wrong talking to an upstream, as one error class whose fields decide
 * what happens next: whether to retry, fail over, or count against the provider's health. Which
 * status the client gets is decided in one place only, the pipeline's `failureOf`.
 */
export type UpstreamErrorKind =
  | "http"
  | "connection"
  | "timeout"
  | "stream"
  | "aborted"
  | "no_provider"
  /** The upstream answered 2xx with something that is not what was asked for (HTML, JSON for a stream, gzip). */
  | "protocol"
  /** The request cannot be expressed in the provider's API (e.g. tool arguments that are not JSON): the client's 400. */
  | "request";

/**
 * Statuses worth another attempt: rate limited, or a server that may be warming up or overloaded
 * (529 is Anthropic's "overloaded", also used by some proxies).
 */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504, 529]);

export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
  readonly kind: UpstreamErrorKind;
  /** The upstream's HTTP status, when it answered with one. */
  readonly status: number | undefined;
  readonly code: string;
  readonly type: string;
  readonly retryable: boolean;
  /** From `retry-after-ms` / `Retry-After`, in ms, when the upstream sent one. */
  readonly retryAfterMs: number | undefined;
  /** The request field the upstream objected to (OpenAI's error `param`), passed on to the client. */
  readonly param: string | undefined;
  /**
   * The upstream refused the gateway's own credentials (401/403, or an API that says so another
   * way): not the client's fault, and every request would fail alike until an operator fixes the
   * key — fail over, and take the provider out of rotation.
   */
  readonly credentialsRefused: boolean;

  constructor(init: {
    kind: UpstreamErrorKind;
    message: string;
    status?: number;
    code?: string;
    type?: string;
    retryable?: boolean;
    retryAfterMs?: number;
    param?: string | undefined;
    credentialsRefused?: boolean;
    cause?: unknown;
  }) {
    const credentialsRefused = init.credentialsRefused ?? (init.kind === "http" && (init.status === 401 || init.status === 403));
    // Wherever this message goes (logs, the request log), a refusal of our key must not carry it.
    super(credentialsRefused ? redactTokens(init.message) : init.message, { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code ?? defaultCode(init.kind, init.status);
    this.type = init.type ?? "upstream_error";
    this.retryable = init.retryable ?? (init.kind === "connection" || (init.status !== undefined && RETRYABLE_STATUSES.has(init.status)));
    this.retryAfterMs = init.retryAfterMs;
    this.param = init.param;
    this.credentialsRefused = credentialsRefused;
  }

  /** Worth trying another provider? Anything but the request's own fault (a 4xx other than 408/429 or refused credentials). */
  get failoverable(): boolean {
    if (this.kind === "aborted" || this.kind === "no_provider" || this.kind === "request") return false;
    if (this.credentialsRefused) return true;
    if (this.kind === "http" && this.status !== undefined && this.status < 500) return this.status === 408 || this.status === 429;
    return true;
  }

  /**
   * Does this failure say something about the provider's health? Not when the client left, the
   * request itself was bad (a 4xx other than 408/429, or untranslatable), or nobody was asked.
   */
  get providerFault(): boolean {
    if (this.kind === "aborted" || this.kind === "no_provider" || this.kind === "request") return false;
    if (this.credentialsRefused) return true;
    return !(this.kind === "http" && this.status !== undefined && this.status < 500 && this.status !== 429 && this.status !== 408);
  }
}

/**
 * An upstream's auth error may quote part of the key ("Incorrect API key provided: sk-…abcd"):
 * any run of 16 or more key-like characters is replaced.
 */
export function redactTokens(message: string): string {
  return message.replace(/[A-Za-z0-9_\-*]{16,}/g, "[redacted]");
}

function defaultCode(kind: UpstreamErrorKind, status: number | undefined): string {
  if (kind === "timeout") return "upstream_timeout";
  if (kind === "connection") return "upstream_unreachable";
  if (kind === "aborted") return "client_closed";
  if (kind === "stream") return "upstream_stream_error";
  if (kind === "no_provider") return "no_provider_available";
  if (kind === "protocol") return "upstream_protocol_error";
  if (kind === "request") return "invalid_request_for_provider";
  if (status === 429) return "upstream_rate_limited";
  return status !== undefined && status >= 500 ? "upstream_server_error" : "upstream_error";
}

/** Parse `Retry-After` (seconds or an HTTP date) into ms; undefined when absent or nonsense. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * How long the upstream asked us to wait, in ms: `retry-after-ms` first (OpenAI's and Azure's
 * header, in ms, fractions allowed), else `Retry-After` in seconds or as an HTTP date. Undefined
 * when neither says anything usable.
 */
export function serverDelay(retryAfterMs: string | null, retryAfter: string | null, nowMs: number): number | undefined {
  if (retryAfterMs !== null && retryAfterMs.trim() !== "") {
    const ms = Number(retryAfterMs);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  return parseRetryAfter(retryAfter, nowMs);
}

/**
 * Build an error from a non-2xx answer, keeping the upstream's own message when it sent an
 * OpenAI-shaped body (`{"error":{"message":…}}`) or any text at all.
 */
export function errorFromAnswer(status: number, text: string, retryAfterMs: number | undefined): UpstreamError {
  const detail = parseErrorBody(text);
  return new UpstreamError({
    kind: "http",
    status,
    message: detail.message ?? (text.trim().slice(0, 500) || `upstream answered HTTP ${status}`),
    ...(detail.code !== undefined && { code: detail.code }),
    ...(detail.type !== undefined && { type: detail.type }),
    retryAfterMs,
    param: detail.param,
  });
}

/** What an error body says: OpenAI's `{message, type, code, param}`, each when present. */
export interface ErrorFields {
  message?: string;
  code?: string;
  type?: string;
  param?: string;
}

/** Pull `message`/`code`/`type`/`param` out of `{"error":{…}}`, `{"error":"…"}` or `{"message":"…"}`. */
export function parseErrorBody(text: string): ErrorFields {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  return errorFields(body);
}

export function errorFields(body: unknown): ErrorFields {
  if (!isRecord(body)) return {};
  const err = body.error;
  if (typeof err === "string") return { message: err };
  const src = isRecord(err) ? err : body;
  const out: ErrorFields = {};
  if (typeof src.message === "string") out.message = src.message;
  if (typeof src.code === "string" || typeof src.code === "number") out.code = String(src.code);
  if (typeof src.type === "string") out.type = src.type;
  // OpenAI sends `param: null` when no field is at fault.
  if (typeof src.param === "string" && src.param !== "") out.param = src.param;
  return out;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `text` as JSON, or undefined when it is not (an error body may be anything). */
export function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
