import type { StagedEvent } from "./types.js";

/**
 * One server-sent message as an encoder makes it: an event (an optional name and its data, a
 * JSON text or a literal such as `[DONE]`) or a comment, which SSE parsers ignore. Encoders
 * produce these; only {@link formatSse} turns them into text, and the resumable event log keeps
 * them as they are, so nothing ever parses SSE text back.
 */
export type SseMessage = SseEvent | SseComment;

export interface SseEvent {
  event?: string;
  data: string;
}

export interface SseComment {
  comment: string;
}

/** What an encoder hands its messages to. */
export type SseOut = (m: SseMessage) => void;

/** An event as the resumable log keeps it: its SSE id (1, 2, 3… per request) and the message. */
export interface LoggedMessage extends SseEvent {
  id: number;
}

/** A comment line: ignored by SSE parsers, but keeps idle proxies from closing the connection. */
export const KEEPALIVE: SseComment = { comment: "ping" };

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * The one place SSE text is made (in the manner of hono's `writeSSE`): data with line breaks
 * becomes several `data:` lines, so it always reads back as sent; a line break in an event name,
 * an id or a comment would forge a field, so it is refused. Names and ids are the gateway's own,
 * never input: a refusal here is a bug, and says so.
 */
export function formatSse(m: SseMessage, id?: number): string {
  if ("comment" in m) return `: ${oneLine(m.comment, "comment")}\n\n`;
  let s = id === undefined ? "" : `id: ${id}\n`;
  if (m.event !== undefined) s += `event: ${oneLine(m.event, "event")}\n`;
  // JSON.stringify never writes a raw line break: the common case is one line.
  if (m.data.indexOf("\n") === -1 && m.data.indexOf("\r") === -1) return `${s}data: ${m.data}\n\n`;
  for (const line of m.data.split(LINE_BREAK)) s += `data: ${line}\n`;
  return `${s}\n`;
}

function oneLine(value: string, field: string): string {
  if (value.indexOf("\n") !== -1 || value.indexOf("\r") !== -1) throw new Error(`an SSE ${field} cannot contain a line break`);
  return value;
}

/** A staged event as its SSE message: its name, and its data as JSON. */
export function stagedMessage(e: StagedEvent): SseEvent {
  return { event: e.event, data: JSON.stringify(e.data) };
}

/** Bytes a message takes in the resumable log (its text, counted in UTF-16 units: a bound, not a tally). */
export function messageSize(m: SseEvent): number {
  return m.data.length + (m.event?.length ?? 0) + 16;
}
