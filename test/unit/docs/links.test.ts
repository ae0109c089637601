/**
 * The docs a newcomer reads: a short README that points into docs/, every link landing on a file (and
 * heading) a fresh clone has, nothing outside the repository but the public sources the docs cite,
 * and no wording that only made sense to whoever wrote it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { anchors, links, slug } from "./markdown.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");

/** Every Markdown file under docs/, at any depth, relative to the root. */
function docsFiles(dir = join(ROOT, "docs")): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return docsFiles(path);
    return name.endsWith(".md") ? [relative(ROOT, path)] : [];
  });
}

const DOCS = docsFiles();
const ALL = ["README.md", "BENCHMARKS.md", ...DOCS];

/** The topic files every engineer writes into (the README's table links each one). */
const TOPICS = [
  "clients",
  "protocol",
  "reasoning-formats",
  "providers",
  "research-and-validation",
  "operations",
  "observability",
  "scale-out",
  "friendli",
  "architecture",
  "testing",
].map((t) => `docs/${t}.md`);

/** Public project sites the docs cite as sources; any other link must stay in the repository. */
const CITED_SOURCES = [
  "https://github.com/friendliai/friendli-openapi",
  "https://github.com/searxng/searxng",
  "https://docs.searxng.org/",
  "https://opentelemetry.io/docs/specs/",
  "https://www.w3.org/TR/trace-context/",
];

/** Wording that speaks of how the project was made rather than of the project. */
const INTERNAL_WORDING = [/\bissues?[- ]?#?\d+/i, /\bthis session\b/i, /\bthis machine\b/i, /\bthe seed'?s\b/i];

/** What is wrong with one link from `doc`, or undefined when it is fine. */
function problem(doc: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    return CITED_SOURCES.some((source) => target.startsWith(source)) ? undefined : "points outside the repository";
  }
  const [path = "", anchor] = target.split("#");
  const file = path === "" ? join(ROOT, doc) : join(ROOT, dirname(doc), decodeURIComponent(path));
  if (!existsSync(file)) return "no such file";
  if (anchor !== undefined && file.endsWith(".md") && !anchors(readFileSync(file, "utf8")).has(anchor)) return `no heading #${anchor}`;
  return undefined;
}

describe("every Markdown file", () => {
  it.each(ALL)("%s: every link resolves inside the repository, or to a cited source", (doc) => {
    const bad = links(read(doc)).flatMap((target) => {
      const why = problem(doc, target);
      return why === undefined ? [] : [`${target}: ${why}`];
    });
    expect(bad).toEqual([]);
  });

  it.each(ALL)("%s: no internal wording", (doc) => {
    const lines = read(doc).split("\n");
    const hits = lines.flatMap((line, i) => (INTERNAL_WORDING.some((re) => re.test(line)) ? [`${doc}:${i + 1}: ${line.trim()}`] : []));
    expect(hits).toEqual([]);
  });
});

describe("the README", () => {
  const readme = read("README.md");
  const lines = readme.replace(/\n$/, "").split("\n"); // as `wc -l` counts them

  it("is at most 300 lines", () => {
    expect(lines.length).toBeLessThanOrEqual(300);
  });

  it("has no line over 200 characters", () => {
    expect(lines.flatMap((line, i) => ([...line].length > 200 ? [`README.md:${i + 1} (${[...line].length})`] : []))).toEqual([]);
  });

  it("links to the contract and to every topic in docs/", () => {
    const found = links(readme);
    for (const doc of ["docs/SPEC.md", ...TOPICS]) expect(found, doc).toContain(doc);
  });
});

describe("docs/", () => {
  it("has every topic file", () => {
    for (const doc of TOPICS) expect(DOCS, doc).toContain(doc);
  });

  it("has no file that nothing links to", () => {
    const linked = new Set(ALL.flatMap((doc) => links(read(doc)).map((t) => join(dirname(doc), t.split("#")[0] ?? ""))));
    expect(DOCS.filter((doc) => !linked.has(doc))).toEqual([]);
  });

  it.each(TOPICS)("%s opens with a title, a summary and a contents list", (doc) => {
    const text = read(doc);
    const head = text.slice(0, text.search(/^## /m));
    expect(head).toMatch(/^# \S.*\n\n\S[^\n]*\n/); // a title, then a paragraph
    expect(head).toMatch(/^- \[[^\]]+\]\(#[^)]+\)/m); // a list of the file's own sections
  });

  it("architecture.md says why every dependency in package.json is there", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const text = read("docs/architecture.md");
    const missing = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)].filter((name) => !text.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});

describe("licence", () => {
  it("is MIT, in LICENSE and in package.json", () => {
    expect(read("LICENSE")).toMatch(/^MIT License\n/);
    expect((JSON.parse(read("package.json")) as { license?: string }).license).toBe("MIT");
  });
});

describe("the Markdown reader the checks rely on", () => {
  it("finds links in prose, bare URLs too, and none in code", () => {
    const md = "see [x](https://e.com/a) and <https://f.org> and `[y](https://no)`, also https://g.net/b.\n```\n[z](https://no)\n```\n[s](docs/SPEC.md#top)";
    expect(links(md)).toEqual(["https://e.com/a", "https://f.org", "docs/SPEC.md#top", "https://g.net/b"]);
  });

  it("makes GitHub's anchors: punctuation dropped, code kept, repeats numbered", () => {
    expect(slug("Limits and failure behaviour")).toBe("limits-and-failure-behaviour");
    expect(slug("`WORKERS=N`: one port, several processes")).toBe("workersn-one-port-several-processes");
    expect(slug("Anthropic, Gemini & Ollama — native")).toBe("anthropic-gemini--ollama--native");
    expect([...anchors("# A\n## Notes\n```\n# not a heading\n```\n## Notes\n")]).toEqual(["a", "notes", "notes-1"]);
  });

  it("catches internal wording", () => {
    for (const s of ["every issue-13 target", "Issue 12's figures", "see issues 8–14", "this session", "on this machine"]) {
      expect(
        INTERNAL_WORDING.some((re) => re.test(s)),
        s,
      ).toBe(true);
    }
    expect(INTERNAL_WORDING.some((re) => re.test("a tissue of 13 lies; the issue tracker"))).toBe(false);
  });
});
