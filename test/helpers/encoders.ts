import { formatSse, type SseOut } from "../../src/events/index.js";

/** What an encoder call writes, as the text a client would read. */
export function sseText(write: (out: SseOut) => void): string {
  let text = "";
  write((m) => (text += formatSse(m)));
  return text;
}
