import { createParser } from "eventsource-parser";
import { parseStagedEvent, type ParsedEvent } from "./events.js";

/** The gateway answered with a non-2xx status before any event. */
export class GatewayHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = "GatewayHttpError";
  }
}

/** The gateway could not be reached at all (refused, DNS, reset before the headers). */
export class GatewayUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the gateway at ${url}: ${reason}`);
    this.name = "GatewayUnreachableError";
  }
}

/** One staged request to the gateway. */
export interface StagedRequest {
  fetch: typeof fetch;
  url: string;
  body: Record<string, unknown>;
  apiKey?: string;
  /** Aborting it closes the connection, which is what makes the gateway cancel the upstream. */
  signal: AbortSignal;
}

/** Called once the response headers are in, then for every SSE message. */
export interface StreamHandlers {
  onOpen?(info: { requestId: string | undefined }): void;
  onMessage(parsed: ParsedEvent): void;
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

/** Pull `error.message`/`error.code` out of an OpenAI-shaped error body, or fall back to the text. */
async function readError(res: Response): Promise<{ message: string; code: string | undefined }> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    const message = body.error?.message;
    const code = body.error?.code;
    if (typeof message === "string") return { message, code: typeof code === "string" ? code : undefined };
  } catch {
    // Not JSON: a proxy's HTML page or plain text; show its start below.
  }
  const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return { message: snippet || res.statusText || "no message", code: undefined };
}

/**
 * POST a streaming chat request and feed every SSE message to `handlers` as it arrives.
 * Resolves when the stream ends; rejects with {@link GatewayHttpError}, {@link GatewayUnreachableError},
 * or the abort/stream error as is.
 */
export async function streamStaged(req: StagedRequest, handlers: StreamHandlers): Promise<void> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream",
  };
  if (req.apiKey) headers.authorization = `Bearer ${req.apiKey}`;

  let res: Response;
  try {
    res = await req.fetch(req.url, {
      method: "POST",
      headers,
      body: JSON.stringify({ ...req.body, stream: true }),
      signal: req.signal,
    });
  } catch (err) {
    if (req.signal.aborted) throw err;
    throw new GatewayUnreachableError(req.url, describeNetworkError(err));
  }

  const requestId = res.headers.get("x-request-id") ?? undefined;
  if (!res.ok) {
    const { message, code } = await readError(res);
    throw new GatewayHttpError(res.status, message, code, requestId);
  }
  if (!res.body) throw new GatewayHttpError(res.status, "the response has no body", undefined, requestId);
  handlers.onOpen?.({ requestId });

  const parser = createParser({
    onEvent: (msg) => handlers.onMessage(parseStagedEvent(msg.event, msg.data)),
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  // `stream: true` keeps a multi-byte character split across chunks intact.
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
  } finally {
    // On an early exit (abort, handler error) this closes the socket so the gateway sees the disconnect.
    await reader.cancel().catch(() => undefined);
  }
}
