/**
 * Just enough Markdown reading for the docs checks: links in prose, heading anchors as GitHub makes
 * them. Deliberately small — the docs are ours, and the checks only need what they use.
 */

/** The text without fenced blocks, so an example's `# comment` is never a heading. */
export function withoutFences(markdown: string): string {
  return markdown.replace(/^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[^\n]*$/gm, "");
}

/** The text without fenced blocks and code spans, so examples never count as links. */
export function prose(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, "");
}

/**
 * Every link target in prose: `[text](target)`, `![alt](target)`, `<scheme://…>`, and bare
 * `http(s)://` URLs (GitHub turns those into links too).
 */
export function links(markdown: string): string[] {
  const text = prose(markdown);
  const found: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)[^)]*\)|<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)) found.push(m[1] ?? m[2] ?? "");
  // Bare URLs: what is left once the bracketed forms above are removed.
  const rest = text.replace(/\]\([^)]*\)|<[a-z][a-z0-9+.-]*:[^>\s]+>/gi, "");
  for (const m of rest.matchAll(/\bhttps?:\/\/[^\s)>\]|]+/gi)) found.push(m[0].replace(/[.,;:]+$/, ""));
  return found;
}

/** GitHub's anchor for a heading's text: lower case, punctuation and symbols dropped, spaces → `-`. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link's text only
    .replace(/[`*]/g, "")
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}_ -]/gu, "").replace(/ /g, "-");
}

/** The anchors a file's headings get, with GitHub's `-1`, `-2` … for repeated headings. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutFences(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(m[1] ?? "");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}
