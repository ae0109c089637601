/**
 * The mock's prompt summary: a deterministic restatement of what is asked, so the demo's first
 * section reads like a summary ("Asks why the sky is blue — touching on violet and wavelength; one
 * short paragraph wanted") instead of the question repeated back. Simple English patterns only:
 * it is a stand-in for a summarising model, not a parser.
 */
import { splitSentences, words } from "./summarize-text.js";

const ARTICLE = "(?:the|a|an|this|that|these|those|my|our|your|its|their)";

/** Imperative openers and what the user then wants (`null`: the rest of the sentence already says it). */
const REQUESTS: Record<string, string | null> = {
  plan: "a plan for",
  summarize: "a summary of",
  summarise: "a summary of",
  explain: "an explanation of",
  compare: "a comparison of",
  describe: "a description of",
  translate: "a translation of",
  write: null,
  draft: null,
  compose: null,
  create: null,
  give: null,
  list: "a list of",
  suggest: null,
  recommend: null,
};

/** Words that describe the answer's shape, not its subject: never offered as the topic. */
const FORM_WORDS = new Set([
  "answer",
  "short",
  "paragraph",
  "paragraphs",
  "sentence",
  "sentences",
  "one",
  "two",
  "three",
  "brief",
  "briefly",
  "words",
  "bullet",
  "bullets",
  "points",
  "even",
  "though",
]);

/** The main clause of a sentence: up to its first comma, semicolon or dash, without end punctuation. */
function mainClause(sentence: string): string {
  return sentence
    .split(/\s*(?:[,;:]|\s[-–—]\s)\s*/)[0]!
    .replace(/[?.!]+$/, "")
    .trim();
}

/** "why the sky is blue", "how to make the page faster", "what the capital of France is", or undefined. */
function question(clause: string): string | undefined {
  const c = clause.replace(/^\w/, (ch) => ch.toLowerCase());
  let m = new RegExp(`^(what|who|which)\\s+(is|are|was|were)\\s+(.+)$`, "i").exec(c);
  if (m) return `${m[1]!.toLowerCase()} ${m[3]} ${m[2]!.toLowerCase()}`;
  m = new RegExp(`^(why|how|where|when)\\s+(is|are|was|were)\\s+(${ARTICLE}\\s+)?(\\S+)\\s*(.*)$`, "i").exec(c);
  if (m) return `${m[1]!.toLowerCase()} ${m[3] ?? ""}${m[4]} ${m[2]!.toLowerCase()}${m[5] ? ` ${m[5]}` : ""}`;
  m = /^how\s+(?:can|do|should|could|would|might)\s+(?:i|we|you|one)\s+(.+)$/i.exec(c);
  if (m) return `how to ${m[1]}`;
  m = new RegExp(`^(why|how much|how many|how|where|when)\\s+(does|do)\\s+(${ARTICLE}\\s+)?(\\S+)\\s+(\\S+)\\s*(.*)$`, "i").exec(c);
  if (m) {
    const verb = m[2]!.toLowerCase() === "does" ? `${m[5]}${/(s|sh|ch|x)$/.test(m[5]!) ? "es" : "s"}` : m[5];
    return `${m[1]!.toLowerCase()} ${m[3] ?? ""}${m[4]} ${verb}${m[6] ? ` ${m[6]}` : ""}`;
  }
  return undefined;
}

/** What is asked for, as a phrase after "Asks" or "Wants"; undefined when no pattern fits. */
function head(sentence: string): string | undefined {
  const clause = mainClause(sentence);
  const q = question(clause);
  if (q !== undefined) return `Asks ${q}`;
  const m = /^(\w+)\s+(.+)$/.exec(clause);
  const verb = m?.[1]?.toLowerCase();
  if (verb !== undefined && verb in REQUESTS) {
    const prefix = REQUESTS[verb];
    return `Wants ${prefix ? `${prefix} ` : ""}${m![2]}`;
  }
  return undefined;
}

/**
 * The up-to-`n` most telling content words not in `exclude` — most frequent first, longer ones
 * winning ties (they are more often the subject) — shown in order of first appearance.
 */
function keywords(text: string, exclude: Set<string>, n: number): string[] {
  const counts = new Map<string, { count: number; first: number }>();
  words(text).forEach((w, i) => {
    if (exclude.has(w) || FORM_WORDS.has(w) || w.length < 3 || /^\d/.test(w)) return;
    const seen = counts.get(w);
    counts.set(w, { count: (seen?.count ?? 0) + 1, first: seen?.first ?? i });
  });
  return [...counts.entries()]
    .sort((a, b) => b[1].count - a[1].count || b[0].length - a[0].length || a[1].first - b[1].first)
    .slice(0, n)
    .sort((a, b) => a[1].first - b[1].first)
    .map(([w]) => w);
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).replace(/\s+\S*$/, "")}…`;
}

function joinWords(list: string[]): string {
  return list.length <= 1 ? (list[0] ?? "") : `${list.slice(0, -1).join(", ")} and ${list.at(-1)}`;
}

/** "; one short paragraph wanted" when the prompt asks for a length or form. */
function form(text: string): string {
  const m = /\b((?:one|a|two|three|four|five|\d+)\s+(?:short\s+)?(?:paragraphs?|sentences?|bullet points?|bullets|words|lines))\b/i.exec(text);
  if (m) return `; ${m[1]!.replace(/^a\s/i, "one ").toLowerCase()} wanted`;
  if (/\bstep[- ]by[- ]step\b/i.test(text)) return "; step by step";
  return "";
}

/**
 * What is being asked, in one sentence: the question or request restated ("Asks why…", "Wants a
 * plan for…"), the other subjects it mentions, and the form of answer wanted. Deterministic.
 */
export function summarizePrompt(text: string): string {
  const sentences = splitSentences(text);
  if (sentences.length === 0) return "An empty message: nothing was asked.";
  const ask = sentences.find((s) => s.endsWith("?")) ?? sentences.find((s) => head(s) !== undefined) ?? sentences[0]!;
  const restated = head(ask);
  // The words of the restated question, and of its original wording ("Summarise", "does"), are no topic.
  const covered = new Set(restated ? [...words(restated), ...words(mainClause(ask))] : []);
  const topics = keywords(text, covered, restated ? 3 : 4);
  if (!restated && topics.length === 0) return `A short message with no question in it: "${shorten(text.trim(), 80)}".`;
  const opening = restated ?? `Asks about ${joinWords(topics)}`;
  const more = restated && topics.length > 0 ? ` — touching on ${joinWords(topics)}` : "";
  const shape = form(text);
  // "Wants a haiku in three lines; three lines wanted" says it twice.
  const summary = `${opening}${more}${opening.includes(shape.replace(/^; | wanted$/g, "")) ? "" : shape}.`;
  return summary.length <= 300 ? summary : `${summary.slice(0, 297).replace(/\s+\S*$/, "")}…`;
}
