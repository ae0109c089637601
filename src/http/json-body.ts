import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "./errors.js";
import { checkJsonShape } from "../util/index.js";
import type { GatewayEnv } from "./types.js";
import { requestHeader } from "./request-header.js";

/** Longest `model` / `summary_model` accepted: real model ids are far shorter. */
export const MAX_MODEL_NAME_CHARS = 256;
/** Longest `x-request-id` the gateway keeps (Hono's requestId pattern, shorter). */
export const MAX_REQUEST_ID_CHARS = 128;

/** Bounds on one JSON request body; every route that reads JSON gets all of them. */
export interface JsonBodyOptions {
  /** Larger bodies get 413 (MAX_BODY_BYTES). */
  maxBytes: number;
  /** The whole body must arrive within this, from when the route starts reading; else 408 (BODY_TIMEOUT). */
  timeoutMs: number;
  /** Deepest object/array nesting; 400 beyond (MAX_JSON_DEPTH). */
  maxDepth: number;
  /** Most values in the document, keys included; 400 beyond (MAX_JSON_NODES). */
  maxNodes: number;
  /** Top-level string fields and their longest length; default `model` and `summary_model` at 256. */
  fieldLimits?: Readonly<Record<string, number>>;
  /** Request headers the route reads and their longest length; default `x-task-category` at 64. */
  headerLimits?: Readonly<Record<string, number>>;
}

export const DEFAULT_FIELD_LIMITS: Readonly<Record<string, number>> = { model: MAX_MODEL_NAME_CHARS, summary_model: MAX_MODEL_NAME_CHARS };
export const DEFAULT_HEADER_LIMITS: Readonly<Record<string, number>> = { "x-task-category": 64 };

/** Sends the rest of an unread body nowhere: the connection is not reused after a refusal mid-body. */
const CLOSE = { connection: "close" };

/**
 * Reads, bounds and parses a JSON request body before the route sees it, so that no route can
 * forget a bound. In order: `Content-Type: application/json` (415 — so a plain HTML form or a
 * `text/plain` fetch from any web page, which need no CORS preflight, are refused), the size
 * (413), the time the body takes to arrive (408), UTF-8, nesting depth and value count (400,
 * checked on the text before parsing), valid JSON, a top-level object, and the length of
 * `fieldLimits` strings and `headerLimits` headers (400). Every refusal is an `ApiError` naming
 * the problem and the limit. The parsed object is then available through {@link jsonBodyOf};
 * a bounded `model` is also set on the context so a later rejection is recorded with it.
 */
export function jsonBody(opts: JsonBodyOptions): MiddlewareHandler<GatewayEnv> {
  const fieldLimits = opts.fieldLimits ?? DEFAULT_FIELD_LIMITS;
  const headerLimits = opts.headerLimits ?? DEFAULT_HEADER_LIMITS;
  return async (c, next) => {
    checkContentType(requestHeader(c, "content-type"));
    for (const [name, max] of Object.entries(headerLimits)) {
      const value = requestHeader(c, name.toLowerCase());
      if (value !== undefined && value.length > max) {
        throw new ApiError(400, `header ${name}: must be at most ${max} characters (got ${value.length})`, "invalid_header");
      }
    }
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const text = incoming ? await readIncomingText(incoming, opts) : await readBodyText(c.req.raw, opts);
    const body = parse(text, opts);
    for (const [field, max] of Object.entries(fieldLimits)) {
      const value = body[field];
      if (typeof value === "string" && value.length > max) {
        throw new ApiError(400, `${field}: must be at most ${max} characters (got ${value.length})`, "invalid_request");
      }
    }
    if (typeof body.model === "string") c.set("model", body.model);
    c.set("jsonBody", body);
    await next();
  };
}

/** The body {@link jsonBody} parsed; a route mounted without the middleware is a bug, not a 400. */
export function jsonBodyOf(c: Context<GatewayEnv>): Record<string, unknown> {
  const body = c.get("jsonBody");
  if (body === undefined) throw new Error(`route ${c.req.path} reads a JSON body without the jsonBody() middleware`);
  return body;
}

function checkContentType(header: string | undefined): void {
  const [type = "", ...params] = (header ?? "").split(";");
  const charset = params
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith("charset="))
    ?.slice("charset=".length)
    .replace(/"/g, "");
  if (type.trim().toLowerCase() === "application/json" && (charset === undefined || charset === "utf-8" || charset === "utf8")) return;
  const got = header === undefined ? "none was sent" : `got "${printable(header, 64)}"`;
  throw new ApiError(415, `Content-Type must be application/json (UTF-8); ${got}`, "unsupported_media_type");
}

/**
 * A request body as text, bounded in bytes (413) and in time (408), and strictly UTF-8 (400).
 * For any route that reads a body, JSON or not (the admin login form uses it too).
 */
/**
 * The same as {@link readBodyText}, read straight from Node's request: a web `Request` body is a
 * ReadableStream over the socket, and building it (plus the Request itself) showed in the profile
 * as web-stream set-up and transfer bookkeeping on every request.
 */
export function readIncomingText(incoming: IncomingMessage, opts: { maxBytes: number; timeoutMs: number }): Promise<string> {
  const tooLarge = () => new ApiError(413, `request body is larger than MAX_BODY_BYTES (${opts.maxBytes} bytes)`, "body_too_large", undefined, CLOSE);
  const declared = Number(incoming.headers["content-length"] ?? "0");
  if (declared > opts.maxBytes) return Promise.reject(tooLarge());
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (e: ApiError | undefined): void => {
      clearTimeout(timer);
      incoming.off("data", onData).off("end", onEnd).off("error", onError).off("aborted", onAborted).off("close", onClose);
      if (e) {
        // Stop reading what is left; the response says Connection: close.
        incoming.pause();
        return reject(e);
      }
      try {
        resolve(new TextDecoder("utf-8", { fatal: true }).decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
      } catch {
        reject(new ApiError(400, "request body is not valid UTF-8", "invalid_json"));
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size > opts.maxBytes) return finish(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void => finish(new ApiError(400, "request body could not be read", "body_unreadable", undefined, CLOSE));
    const onAborted = (): void => finish(new ApiError(499, "client closed the request while sending its body", "client_closed"));
    const onClose = (): void => {
      if (!incoming.complete) onAborted();
    };
    const timer = setTimeout(
      () => finish(new ApiError(408, `request body did not arrive within BODY_TIMEOUT (${opts.timeoutMs / 1000} s)`, "body_timeout", undefined, CLOSE)),
      opts.timeoutMs,
    );
    incoming.on("data", onData).on("end", onEnd).on("error", onError).on("aborted", onAborted).on("close", onClose);
    if (incoming.readableEnded) onEnd();
  });
}

export async function readBodyText(req: Request, opts: { maxBytes: number; timeoutMs: number }): Promise<string> {
  const tooLarge = () => new ApiError(413, `request body is larger than MAX_BODY_BYTES (${opts.maxBytes} bytes)`, "body_too_large", undefined, CLOSE);
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > opts.maxBytes) throw tooLarge();
  if (!req.body) return "";
  const reader: ReadableStreamDefaultReader<Uint8Array> = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timedOut = false;
  // Cancelling the reader makes the pending read() resolve, so a body that never ends cannot
  // hold the handler (Node's own requestTimeout would only cut it after 300 s, as an error).
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => undefined);
  }, opts.timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) break;
      if (done) break;
      size += value.byteLength;
      if (size > opts.maxBytes) {
        reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (req.signal.aborted) throw new ApiError(499, "client closed the request while sending its body", "client_closed");
    if (!timedOut) throw new ApiError(400, "request body could not be read", "body_unreadable", undefined, CLOSE);
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) {
    throw new ApiError(408, `request body did not arrive within BODY_TIMEOUT (${opts.timeoutMs / 1000} s)`, "body_timeout", undefined, CLOSE);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks, size));
  } catch {
    throw new ApiError(400, "request body is not valid UTF-8", "invalid_json");
  }
}

function parse(text: string, opts: JsonBodyOptions): Record<string, unknown> {
  if (text.trim() === "") throw new ApiError(400, "request body is empty; expected a JSON object", "invalid_json");
  const shape = checkJsonShape(text, opts);
  if (shape?.limit === "depth") {
    throw new ApiError(400, `request body is nested deeper than MAX_JSON_DEPTH (${opts.maxDepth} levels)`, "json_too_deep");
  }
  if (shape?.limit === "nodes") {
    throw new ApiError(400, `request body has more than MAX_JSON_NODES (${opts.maxNodes}) values`, "json_too_large");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, "request body is not valid JSON", "invalid_json");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(400, "request body must be a JSON object", "invalid_request");
  }
  return value as Record<string, unknown>;
}

/** A header value fit to quote in a message: control characters out, cut to `max`. */
function printable(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, "?");
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
