/** The gateway answered with a non-2xx status before any event. */
export class GatewayHttpError extends Error {
  override readonly name = "GatewayHttpError";
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
    /** Seconds from `Retry-After`, when the gateway sent it (429, 503). */
    readonly retryAfter: number | undefined = undefined,
  ) {
    super(message);
  }
}

/** The gateway could not be reached at all (refused, DNS, reset before the headers). */
export class GatewayUnreachableError extends Error {
  override readonly name = "GatewayUnreachableError";
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the gateway at ${url}: ${reason}`);
  }
}

/**
 * The stream began but ended without `output.done`: the upstream failed after the answer had
 * started (the gateway's `error` event says why, and is carried here), or the connection broke.
 */
export class GatewayStreamError extends Error {
  override readonly name = "GatewayStreamError";
  constructor(
    message: string,
    readonly code: string,
    readonly requestId: string | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The innermost `code`/`message` of a fetch failure (undici hides the useful part in `cause`). */
export function describeNetworkError(err: unknown): string {
  let cur: unknown = err;
  let text = "unknown error";
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    const code = (cur as { code?: unknown }).code;
    text = typeof code === "string" ? `${code} (${cur.message})` : cur.message;
    cur = cur.cause;
  }
  if (text.startsWith("ECONNREFUSED")) return "connection refused — is it running?";
  return text;
}
