import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

/*
 * Code blocks in answers, highlighted with highlight.js: the core and the languages models write
 * most, bundled by esbuild (about 75 KB minified, against about 1 MB with every language). It emits only
 * `<span class="hljs-…">` around escaped text, so the CSP holds (no inline styles: the colours are
 * in the stylesheet, for both themes). A block without a known language stays plain.
 */

const LANGUAGES = { bash, css, diff, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
// The fence names models use beyond each language's own aliases (ts, js, py, sh, html, yml…).
hljs.registerAliases(["shell", "console", "zsh"], { languageName: "bash" });

/** Only highlight.js's own spans survive: a second line of defence behind its escaping. */
const SPANS_ONLY = { ALLOWED_TAGS: ["span"], ALLOWED_ATTR: ["class"] };

/**
 * Highlights `code` in place when `language` names a registered language (fence name or alias).
 * Returns the language's name, or null when the block was left plain.
 */
export function highlightBlock(code: HTMLElement, language: string): string | null {
  const lang = hljs.getLanguage(language.toLowerCase());
  if (!lang) return null;
  const name = language.toLowerCase();
  const html = hljs.highlight(code.textContent ?? "", { language: name, ignoreIllegals: true }).value;
  code.innerHTML = DOMPurify.sanitize(html, SPANS_ONLY);
  code.classList.add("hljs");
  return lang.name ?? name;
}
