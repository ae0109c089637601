/**
 * A small extractive summariser, so summary calls answer with real content drawn from the text
 * they were given (never the instruction). Sentences are scored by the frequency of their content
 * words; the best ones are returned in their original order.
 */

import { MAX_SENTENCE_CHARS, splitSentences, words } from "./summarize-text.js";

export { summarizePrompt } from "./prompt-summary.js";
export { splitSentences };

function shorten(sentence: string): string {
  if (sentence.length <= MAX_SENTENCE_CHARS) return sentence;
  const cut = sentence.slice(0, MAX_SENTENCE_CHARS);
  const space = cut.lastIndexOf(" ");
  return `${(space > MAX_SENTENCE_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/**
 * The `count` highest-scoring sentences, in original order. A sentence scores the sum of its
 * content words' normalised frequencies over the square root of its length, so neither very
 * long nor very short sentences win by size alone; ties go to the earlier sentence.
 */
export function topSentences(sentences: string[], count: number): string[] {
  const freq = new Map<string, number>();
  for (const s of sentences) for (const w of words(s)) freq.set(w, (freq.get(w) ?? 0) + 1);
  const max = Math.max(1, ...freq.values());
  const scored = sentences.map((s, index) => {
    const ws = words(s);
    const sum = ws.reduce((acc, w) => acc + (freq.get(w) ?? 0) / max, 0);
    return { s, index, score: ws.length === 0 ? 0 : sum / Math.sqrt(ws.length) };
  });
  return scored
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, count)
    .sort((a, b) => a.index - b.index)
    .map((x) => shorten(x.s));
}

/** Split one long sentence into clauses, so even terse reasoning yields two bullets. */
function clauses(sentence: string): string[] {
  return sentence
    .split(/[;:,]\s+|\s+(?:so|because|but|then)\s+/i)
    .map((c) => c.trim())
    .filter((c) => words(c).length >= 2);
}

/** Two or three `- ` bullet lines drawn from the reasoning. */
export function summarizeReasoning(text: string): string {
  let sentences = splitSentences(text);
  const first = sentences[0];
  if (first === undefined) return "- No reasoning was provided.";
  if (sentences.length === 1) {
    const parts = clauses(first);
    sentences = parts.length >= 2 ? parts : [first];
  }
  return topSentences(sentences, 3)
    .map((s) => `- ${s}`)
    .join("\n");
}

/**
 * One headed line on what the latest reasoning is about, as a progress summary reads: the
 * latest part's best sentence, its first content words as a bold heading.
 */
export function summarizeProgress(text: string): string {
  const latest = text.includes("(latest)") ? text.slice(text.lastIndexOf("(latest)") + "(latest)".length) : text;
  const best = topSentences(splitSentences(latest), 1)[0];
  if (best === undefined) return "**Thinking**: the model is still working.";
  const heading =
    words(best)
      .slice(0, 3)
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(" ") || "Thinking";
  return `**${heading}**: ${best}`;
}
