import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/**
 * A request header as `c.req.header(name)` gives it (every value of a repeated header joined with
 * ", "), read on Node from the raw header list Node already has. `c.req.header()` builds a web
 * `Headers` from all of them on first use, which then lives as long as the request does — a
 * streamed one, for minutes (BENCHMARKS.md, "Heap per parked stream"). `name` is lower case.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) return c.req.header(name);
  const raw = incoming.rawHeaders;
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i] as string;
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    const v = raw[i + 1] as string;
    value = value === undefined ? v : `${value}, ${v}`;
  }
  return value;
}
