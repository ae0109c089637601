import type { ChalkInstance } from "chalk";
import { Lexer, type Token } from "marked";

/*
 * Summaries are Markdown: a progress note is "**Heading**: sentence", and a model may put `code`
 * or *emphasis* in any summary. A terminal shows them as styles, never as raw asterisks. marked's
 * inline lexer (the same parser the playground renders with) reads the marks, so escapes, nesting
 * and unmatched stars come out the way a Markdown reader would show them.
 */

function render(tokens: readonly Token[], s: ChalkInstance): string {
  let out = "";
  for (const t of tokens) {
    const inner = "tokens" in t && Array.isArray(t.tokens) ? render(t.tokens, s) : "text" in t && typeof t.text === "string" ? t.text : t.raw;
    switch (t.type) {
      case "strong":
        out += s.bold(inner);
        break;
      case "em":
        out += s.italic(inner);
        break;
      case "del":
        out += s.strikethrough(inner);
        break;
      case "codespan":
        out += s.cyan(inner);
        break;
      case "link":
        // The URL matters on a terminal, where nothing is clickable for sure.
        out += inner === t.href ? s.underline(inner) : `${inner} (${s.underline(String(t.href))})`;
        break;
      case "br":
        out += "\n";
        break;
      default:
        // text, escape, html, and anything newer: the text as written (escapes already resolved).
        out += inner;
    }
  }
  return out;
}

/**
 * `**Heading**: text` → the heading in bold (or plain, without colours), marks removed; code spans,
 * emphasis and links styled likewise. Line breaks and list markers are kept as they are.
 */
export function inlineMarkdown(text: string, style: ChalkInstance): string {
  return render(Lexer.lexInline(text, { gfm: true }), style);
}
