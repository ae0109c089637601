// Helpers for the hostile suite: raw sockets for bodies a fetch client would never send, and the
// shapes every refusal must have.
import net from "node:net";
import { expect } from "vitest";

export interface RawAnswer {
  /** Everything the server sent before it closed the socket (or the wait ran out). */
  text: string;
  status: number;
  /** True when the server closed the connection itself. */
  closedByServer: boolean;
}

/**
 * Writes `head` (request line and headers, without the blank line) and `body` to a fresh socket,
 * then neither sends more nor closes: a client whose body never finishes. Resolves once the
 * server closes the socket, or after `waitMs` with what arrived until then.
 */
export function sendUnfinished(port: number, head: string, body: string, waitMs = 20_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("connect", () => socket.write(`${head}\r\n\r\n${body}`));
    socket.on("data", (d: Buffer) => (text += d.toString("utf8")));
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
  });
}

/** The JSON body of a raw HTTP/1.1 answer with a Content-Length (what the gateway sends for errors). */
export function rawJson(answer: RawAnswer): unknown {
  const at = answer.text.indexOf("\r\n\r\n");
  return JSON.parse(answer.text.slice(at + 4));
}

export interface ErrorBody {
  error: { message: string; type: string; code: string };
}

/** Asserts an OpenAI-shaped JSON error with `status`, and returns it for more specific checks. */
export async function expectJsonError(res: Response, status: number): Promise<ErrorBody["error"]> {
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(status);
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error).toEqual({ message: expect.any(String), type: expect.any(String), code: expect.any(String) });
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

/** A valid chat body for the mock. */
export const okBody = (extra: Record<string, unknown> = {}) => ({
  model: "mock-tagged",
  messages: [{ role: "user", content: "Why is the sky blue?" }],
  ...extra,
});

/** POST to the chat route with any content type and body, as a browser form or a script could. */
export function post(url: string, body: string | Uint8Array, contentType: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { ...(contentType !== undefined && { "content-type": contentType }), ...headers },
    body,
  });
}

/** `depth` nested arrays around `inner`: `[[[…inner…]]]`, built as text (never as a deep object). */
export const nestedArrays = (depth: number, inner = "0"): string => `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
