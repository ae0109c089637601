/**
 * Making client-influenced text fit the `requests` table on both PostgreSQL and PGlite, so a row
 * is never refused for what a client put in it. Found by testing both (test/hostile/request-log):
 *
 * - U+0000 is refused by text ("invalid byte sequence … 0x00") and jsonb ("unsupported Unicode
 *   escape sequence") on both: removed.
 * - A lone surrogate (half of a UTF-16 pair) is refused by jsonb on both ("invalid input syntax
 *   for type json"), and by PGlite's text columns when two come in a row (its UTF-8 encoder and
 *   length count disagree): replaced by U+FFFD, as any UTF-8 encoder would.
 * - A value too large for a btree index entry (~2,700 bytes; `model` is indexed) is refused on
 *   both: every column has a length limit, and longer text is cut with a visible marker.
 * - U+2028/U+2029, other controls, noncharacters and non-BMP text are stored exactly. (PGlite
 *   returns a text value without a leading U+FEFF: the one round trip that is not exact.)
 */

/** Longest text kept per column, in UTF-16 code units; longer values end with TRUNCATION_MARK. */
export const COLUMN_LIMITS = {
  id: 200,
  model: 256,
  summary_model: 256,
  provider: 128,
  outcome: 32,
  error_code: 128,
  error_message: 2_000,
  summary: 10_000,
  summary_source: 32,
  answer: 1_000_000,
  keyName: 200,
} as const;

/** Longest `request_body` / jsonb value kept, as JSON text; a larger one is replaced by a marker object. */
export const MAX_JSON_CHARS = 1_000_000;

/** Appended to a cut value, with the number of characters left out: `…[truncated 2744 chars]`. */
export const TRUNCATION_MARK = "…[truncated";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `s` without NUL, with lone surrogates as U+FFFD: text both databases accept. */
export function storableText(s: string): string {
  return s.replaceAll("\u0000", "").replace(LONE_SURROGATE, "\ufffd");
}

/** `s` made storable and cut to `max` code units, marker included; never splits a surrogate pair. */
export function bounded(s: string, max: number): string {
  const clean = storableText(s);
  if (clean.length <= max) return clean;
  const mark = (cut: number) => `${TRUNCATION_MARK} ${cut} chars]`;
  // A column too narrow for the marker (none of ours) still gets a cut, just without it.
  const room = max - mark(clean.length).length;
  let keep = room > 0 ? room : max;
  // Cutting between the halves of a pair would leave a lone surrogate behind.
  if (keep > 0 && /[\ud800-\udbff]/.test(clean.charAt(keep - 1))) keep -= 1;
  return room > 0 ? `${clean.slice(0, keep)}${mark(clean.length - keep)}` : clean.slice(0, keep);
}

/** Nullable text through {@link bounded}. */
export function boundedOrNull(s: string | null | undefined, max: number): string | null {
  return s === null || s === undefined ? null : bounded(s, max);
}

/**
 * A value as jsonb text: every string (and key) made storable; a document larger than
 * MAX_JSON_CHARS becomes `{"truncated": true, "chars": n, "head": "…"}` so the row still lands
 * and says what happened. Throws what JSON.stringify throws (cycles, BigInt).
 */
export function storableJson(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const text = JSON.stringify(v, function (this: unknown, _k: string, x: unknown) {
    if (typeof x === "string") return storableText(x);
    if (typeof x === "object" && x !== null && !Array.isArray(x)) {
      // Keys can carry NUL or lone surrogates too; rebuild the object only when one does.
      const keys = Object.keys(x);
      if (keys.some((k) => storableText(k) !== k)) return Object.fromEntries(keys.map((k) => [storableText(k), (x as Record<string, unknown>)[k]]));
    }
    return x;
  });
  if (text.length <= MAX_JSON_CHARS) return text;
  return JSON.stringify({ truncated: true, chars: text.length, head: bounded(text, 4_096) });
}
