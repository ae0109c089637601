/**
 * Character-level helpers shared by the separator and the reasoning collector. They work on UTF-16 code
 * units because that is how upstream text reaches us: a JSON string may end between the two halves of
 * an emoji, and the next chunk carries the other half.
 */

/** True for the first half of a surrogate pair, which must not be cut from its second half. */
export function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** True for the second half of a surrogate pair. */
export function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** True when `text` ends with the first half of a surrogate pair whose second half has not arrived. */
export function endsInHighSurrogate(text: string): boolean {
  return text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1));
}

const LF = 0x0a;
const CR = 0x0d;

/** Index of the first line break (`\n` or `\r`) in `text[from, to)`, or `to` when there is none. */
export function nextLineBreak(text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) return i;
  }
  return to;
}
