import type { ChatMessage, ResearchRequest } from "../pipeline/index.js";
import { plainLine } from "./sanitize.js";

/** Search engines cut longer queries anyway; a whole pasted document is not a query. */
export const MAX_QUERY_CHARS = 400;

/**
 * What to search for: the request's own `query`, else the latest user turn's text (text parts
 * only: an image or a file is nothing to type into a search box), one line, at most
 * MAX_QUERY_CHARS. "" when there is nothing to search for.
 */
export function researchQuery(request: ResearchRequest, messages: readonly ChatMessage[]): string {
  if (request.query !== undefined) return plainLine(request.query, MAX_QUERY_CHARS, "");
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  return lastUser ? plainLine(textParts(lastUser.content), MAX_QUERY_CHARS, "") : "";
}

function textParts(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const texts: string[] = [];
  for (const p of content as unknown[]) {
    if (typeof p === "object" && p !== null && "type" in p && p.type === "text" && "text" in p && typeof p.text === "string") texts.push(p.text);
  }
  return texts.join(" ");
}
