import type { StagedEvent } from "./types.js";

/**
 * Encode one staged event as an SSE frame. JSON.stringify never emits a raw newline, so `data`
 * is always a single line; the event name comes from our own union, never from input.
 */
export function encodeEvent(e: StagedEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/** A comment line: ignored by SSE parsers, but keeps idle proxies from closing the connection. */
export const KEEPALIVE_FRAME = ": ping\n\n";
