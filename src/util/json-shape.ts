/** The two structural bounds a JSON body is held to before it is parsed. */
export interface JsonShapeLimits {
  /** Deepest nesting of objects and arrays (the top-level value is depth 1). */
  maxDepth: number;
  /** Most values in the document: objects, arrays, strings (keys included), numbers, literals. */
  maxNodes: number;
}

/** Which bound a document broke; reported as soon as it is crossed, so the count is the bound + 1. */
export type JsonShapeViolation = { limit: "depth"; at: number } | { limit: "nodes"; at: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Characters a number or a literal (true, false, null) is made of. */
function isTokenChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x2b || c === 0x2e;
}

/**
 * Measures a JSON text's nesting and value count in one pass, without parsing it and without
 * recursion, and stops at the first bound crossed. This runs before `JSON.parse` so that a body
 * nested 10⁵ deep is refused while it is still a string: parsed, it would later blow the stack
 * of every recursive walk (`JSON.stringify` when the upstream body is built, zod, the logger).
 * It does not validate the text — `JSON.parse` does that afterwards — so on malformed input the
 * counts are only approximate, which is harmless: such a body is refused either way. It lives
 * at the bottom because it guards every JSON text someone else wrote: request bodies, search
 * answers, and answers checked against a schema.
 */
export function checkJsonShape(text: string, limits: JsonShapeLimits): JsonShapeViolation | undefined {
  // Inside a string literal, the next character is escaped, and inside a number/literal token.
  let inString = false;
  let escaped = false;
  let inToken = false;
  let depth = 0;
  let nodes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === BACKSLASH) escaped = true;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (isTokenChar(c)) {
      if (!inToken) {
        inToken = true;
        if (++nodes > limits.maxNodes) return { limit: "nodes", at: nodes };
      }
      continue;
    }
    inToken = false;
    if (c === QUOTE) {
      inString = true;
      if (++nodes > limits.maxNodes) return { limit: "nodes", at: nodes };
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limits.maxDepth) return { limit: "depth", at: depth };
      if (++nodes > limits.maxNodes) return { limit: "nodes", at: nodes };
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}
