const LIMIT = 300;

/**
 * The summary we can always produce: the first one or two sentences of the text, whitespace
 * collapsed, cut near 300 characters (at a word boundary, with an ellipsis).
 */
export function fallbackSummary(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat === "") return "";
  const sentences = splitSentences(flat);
  let out = sentences[0] ?? flat;
  const second = sentences[1];
  if (second && out.length + 1 + second.length <= LIMIT) out = `${out} ${second}`;
  if (out.length <= LIMIT) return out;
  const cut = out.slice(0, LIMIT);
  const space = cut.lastIndexOf(" ");
  return `${(space > LIMIT * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, "")}…`;
}

/** A sentence ends at . ! ? (or CJK 。！？) followed by a space or the end — so "3.14" does not split. */
function splitSentences(flat: string): string[] {
  const out: string[] = [];
  const ends = /[.!?。！？]+(?=\s|$)|[。！？]+/g;
  let start = 0;
  for (let m = ends.exec(flat); m !== null && out.length < 2; m = ends.exec(flat)) {
    out.push(flat.slice(start, m.index + m[0].length).trim());
    start = m.index + m[0].length;
  }
  if (out.length < 2 && start < flat.length) out.push(flat.slice(start).trim());
  return out.filter(Boolean);
}
