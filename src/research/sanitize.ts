/*
 * Page text is data from strangers. Before a title or snippet goes into a prompt or to a client
 * it loses its markup and every invisible or control character, its whitespace collapses to
 * single spaces (so it cannot start a line of its own in the prompt), and it is cut short.
 * URLs are kept only when they are plain http(s). Nothing here fetches anything.
 */

export const MAX_TITLE_CHARS = 200;
export const MAX_SNIPPET_CHARS = 500;
export const MAX_URL_CHARS = 2048;

/**
 * Raw text looked at per field: the cleaning below is linear or close to it, but a 1 MB snippet
 * must cost no more than a short one.
 */
const RAW_FACTOR = 8;

// Elements whose content is code or styling, never text a reader saw.
const HIDDEN_BLOCK = /<(script|style|noscript|template|iframe|object|svg|math|head)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
// One left open (never closed, or cut off by the raw bound) hides everything after it.
const HIDDEN_OPEN = /<(script|style|noscript|template)\b[^>]*>[\s\S]*$/i;
const COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const TAG = /<\/?[a-zA-Z][^<>]*>|<![^<>]*>/g;
// A tag cut off by the raw bound (or never closed): everything from its `<` on.
const OPEN_TAG_AT_END = /<\/?[a-zA-Z][^<>]*$/;
const ENTITY = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos|nbsp);/g;
const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
// C0 and C1 controls (whitespace among them is collapsed below, the rest removed), DEL, zero
// widths, bidi embeddings, overrides and isolates (they reorder what a reader sees), BOM,
// interlinear annotation marks.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\uFFF9-\uFFFB]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Plain, single-line, length-capped text from untrusted page text (titles, snippets). */
export function cleanText(raw: string, maxChars: number): string {
  let s = raw.slice(0, maxChars * RAW_FACTOR);
  s = stripMarkup(s);
  s = s.replace(ENTITY, (_, name: string) => decodeEntity(name));
  // Entities may have spelled out markup (`&lt;script&gt;`): it goes too.
  s = stripMarkup(s);
  return plainLine(s, maxChars);
}

/**
 * One line of visible text, at most `maxChars`: invisible and control characters removed,
 * whitespace collapsed. Markup is left alone (a user may well ask about `<div>`).
 */
export function plainLine(raw: string, maxChars: number, mark = "…"): string {
  const s = raw
    .slice(0, maxChars * RAW_FACTOR)
    .replace(LONE_SURROGATE, "")
    .replace(INVISIBLE, "")
    .replace(/\s+/g, " ")
    .trim();
  return cut(s, maxChars, mark);
}

function stripMarkup(s: string): string {
  return s.replace(HIDDEN_BLOCK, " ").replace(HIDDEN_OPEN, " ").replace(COMMENT, " ").replace(TAG, " ").replace(OPEN_TAG_AT_END, " ");
}

function decodeEntity(name: string): string {
  if (name.startsWith("#")) {
    const code = name[1] === "x" ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
    // Invalid code points and NUL become nothing; controls are removed later anyway.
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "";
  }
  return NAMED[name] ?? "";
}

/**
 * At most `max` characters, cut at a word boundary when one is near, never inside a surrogate
 * pair; `mark` says that something was cut.
 */
export function cut(s: string, max: number, mark = "…"): string {
  if (s.length <= max) return s;
  let end = max - mark.length;
  const space = s.lastIndexOf(" ", end);
  if (space > max * 0.8) end = space;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${s.slice(0, end).trimEnd()}${mark}`;
}

/**
 * The URL in its normalised form when it is plain http(s), else undefined. Credentials are
 * dropped (nobody should be handed them); anything past MAX_URL_CHARS is refused, not cut.
 */
export function cleanUrl(raw: string): string | undefined {
  if (raw.length > MAX_URL_CHARS) return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  url.username = "";
  url.password = "";
  return url.href.length <= MAX_URL_CHARS ? url.href : undefined;
}
