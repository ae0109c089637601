import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";
import { copyButton } from "./copy.js";
import { highlightBlock } from "./highlight.js";

/*
 * Model text as Markdown: marked renders, DOMPurify sanitises, and only then does it reach the
 * page. The CSP would block inline styles and outside images anyway; removing them here keeps the
 * console free of violations and the layout free of surprises.
 */

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    // Raw HTML in model text is shown as text, the way chat apps do. Letting it through to
    // DOMPurify would still be safe, but parsing a `style` or `on*` attribute at all makes the
    // browser report a CSP violation.
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    // The fence's language rides on a data attribute (DOMPurify keeps those, and drops `class`),
    // for the highlighter to read after sanitising.
    code({ text, lang, escaped }: Tokens.Code): string {
      const language = (lang ?? "").trim().split(/\s+/)[0] ?? "";
      const attr = language ? ` data-lang="${escapeHtml(language)}"` : "";
      // As marked's own renderer: one trailing newline, none for an empty block.
      const body = text ? `${text.replace(/\n$/, "")}\n` : "";
      return `<pre><code${attr}>${escaped ? body : escapeHtml(body)}</code></pre>\n`;
    },
    // img-src is 'self' only: an image from elsewhere becomes a link to it instead.
    image({ href, text }: Tokens.Image): string {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
  },
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node instanceof HTMLAnchorElement) {
    node.target = "_blank";
    node.rel = "noopener noreferrer";
  }
});

const PURIFY = {
  FORBID_TAGS: ["style", "img", "form", "input", "button", "textarea", "select", "iframe", "svg", "math"],
  FORBID_ATTR: ["style", "class", "id"],
};

/** Markdown as sanitised HTML. */
export function markdownToHtml(text: string): string {
  return DOMPurify.sanitize(marked.parse(text, { async: false }), PURIFY);
}

/**
 * Renders `text` as Markdown into `el`: code blocks highlighted (when their fence names a known
 * language), each with a copy button that copies the code as written.
 */
export function renderMarkdown(el: HTMLElement, text: string): void {
  el.innerHTML = markdownToHtml(text);
  for (const pre of el.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    const source = (code ?? pre).textContent ?? "";
    const lang = code?.dataset.lang;
    if (code && lang) {
      const name = highlightBlock(code, lang);
      if (name) pre.dataset.language = name;
    }
    pre.classList.add("has-copy");
    pre.prepend(copyButton("Copy code", () => source, "copy-code"));
  }
}
