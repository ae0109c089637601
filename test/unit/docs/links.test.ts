/**
 * Every link in the project's Markdown stays inside the repository and points at a file that a
 * fresh clone has: a newcomer following the README never lands on a page we do not control.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const docs = ["README.md", "BENCHMARKS.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** `[text](target)` and `<scheme://…>` links, outside code spans and fenced blocks. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)[^)]*\)|<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)].map((m) => m[1] ?? m[2] ?? "");
}

describe("documentation links", () => {
  it.each(docs)("%s links only to files in the repository", (doc) => {
    const found = links(readFileSync(join(ROOT, doc), "utf8"));
    for (const target of found) {
      expect(target, `${doc} → ${target}`).not.toMatch(/^[a-z][a-z0-9+.-]*:/i);
      const path = target.split("#")[0]!;
      if (path !== "") expect(existsSync(join(ROOT, dirname(doc), path)), `${doc} → ${target}`).toBe(true);
    }
  });

  it("finds links in prose, and none in code", () => {
    expect(links("see [x](https://e.com/a) and <https://f.org> and `[y](https://no)`\n```\n[z](https://no)\n```\n[s](docs/SPEC.md#top)")).toEqual([
      "https://e.com/a",
      "https://f.org",
      "docs/SPEC.md#top",
    ]);
  });

  it("the README links to the contract in docs/", () => {
    expect(links(readFileSync(join(ROOT, "README.md"), "utf8"))).toContain("docs/SPEC.md");
  });
});
