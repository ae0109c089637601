/** Longest label value a client-chosen name may become; longer names are counted as `other`. */
export const MAX_LABEL_CHARS = 100;

/**
 * Whether a client-chosen string may become a label value as it is: short, and printable ASCII
 * only — no CR, LF, NUL or other control characters, which would make a scrape unreadable or
 * let one request forge series, and nothing long enough to blow up the exposition text.
 */
export function isLabelSafe(value: string, maxChars = MAX_LABEL_CHARS): boolean {
  return value.length > 0 && value.length <= maxChars && /^[\x20-\x7e]+$/.test(value);
}

/**
 * Returns a function that passes through the first `limit` distinct admitted values and maps every
 * later one to `other`. Used for label values that come from clients (model names): each distinct
 * label value is a new time series held forever, so an uncapped label is a memory leak any caller
 * can trigger. With `admit = false` a value not seen before is `other` and is not remembered, so
 * requests that prove nothing about a name (a rejected one) cannot take up the limited slots.
 */
export function createLabelCap(limit: number, other: string): (value: string, admit?: boolean) => string {
  const seen = new Set<string>();
  return (value, admit = true) => {
    if (seen.has(value)) return value;
    if (!admit || seen.size >= limit) return other;
    seen.add(value);
    return value;
  };
}
