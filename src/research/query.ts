import type { ChatMessage, ResearchRequest } from "../pipeline/index.js";
import { plainLine } from "./sanitize.js";

/** Search engines cut longer queries anyway; a whole pasted document is not a query. */
export const MAX_QUERY_CHARS = 400;

/** Terms a follow-up borrows from the turns before it: enough to name the topic, few enough not to drown the question. */
export const MAX_CONTEXT_TERMS = 6;

/** How many earlier user turns a chain of follow-ups may reach back through. */
const MAX_CONTEXT_TURNS = 3;

/** A turn this short ("Why?", "Tell me more") cannot stand on its own. */
const SHORT_WORDS = 3;

// A turn that opens by continuing the last one: "And why…", "But is…", "What about Mars?".
const CONNECTIVE = /^\s*(?:and\s+what\s+about|and\s+how\s+about|what\s+about|how\s+about|and|but|so|also|or|then|plus)\b[\s,]*/i;
// Words that point back at something said before. "that" only as the last word ("why is that?"):
// elsewhere it is usually a conjunction ("the theory that explains…").
const REFERENCE = /\b(?:it|its|it's|they|them|their|theirs|this|these|those|he|him|his|she|her|hers)\b|\bthat\s*[?.!]*\s*$/i;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu;

// Words that never name a topic: function words, question words, pronouns, and the verbs people
// wrap questions in. English only; in other languages more words count as terms, still capped.
const STOPWORDS = new Set(
  (
    "a about above after again against all also am an and any are aren't as at be because been before being below between both but by can can't " +
    "could couldn't did didn't do does doesn't doing don't down during each few for from further had hasn't has have haven't having he her here " +
    "hers herself him himself his how i i'm if in into is isn't it it's its itself just let's like me more most much my myself no nor not now of " +
    "off on once only or other our ours ourselves out over own please same she should shouldn't so some such than that that's the their theirs " +
    "them themselves then there there's these they they're this those through to too under until up us very was wasn't we were weren't what " +
    "what's when where which while who whom why will with won't would wouldn't you your yours yourself yourselves " +
    "tell explain know want wanted need think thinks say says said give show describe mean means make get got does really actually thing things " +
    "something anything someone way ways kind sort lot lots also maybe well yes yeah okay ok thanks thank hello hi"
  ).split(" "),
);

/**
 * What to search for, built from the conversation without any model call (deterministic, cheap):
 *
 * - the request's own `query` when it gave one;
 * - else the latest user turn's text (text parts only: an image or a file is nothing to type into
 *   a search box);
 * - when that turn is a follow-up — it opens with a connective ("and", "but", "what about"…),
 *   points back with a pronoun ("it", "they", "this"…), or is at most three words — its opening
 *   connective is dropped and up to MAX_CONTEXT_TERMS salient terms of the user turns before it
 *   are added (the previous one, and the ones before while those were follow-ups too).
 *
 * One line, at most MAX_QUERY_CHARS; "" when there is nothing to search for.
 */
export function researchQuery(request: ResearchRequest, messages: readonly ChatMessage[]): string {
  if (request.query !== undefined) return plainLine(request.query, MAX_QUERY_CHARS, "");
  const turns = messages.filter((m) => m.role === "user").map((m) => plainLine(textParts(m.content), MAX_QUERY_CHARS * 4, ""));
  const last = turns.at(-1);
  if (last === undefined || last === "") return "";
  if (turns.length === 1 || !isFollowUp(last)) return plainLine(last, MAX_QUERY_CHARS, "");
  const question = plainLine(last.replace(CONNECTIVE, "") || last, MAX_QUERY_CHARS, "");
  // Whole terms only: one that does not fit is left out rather than cut.
  let query = question;
  for (const term of contextTerms(turns.slice(0, -1), question)) {
    if (query.length + 1 + term.length <= MAX_QUERY_CHARS) query += ` ${term}`;
  }
  return query;
}

/** Does this user turn lean on the ones before it? */
export function isFollowUp(turn: string): boolean {
  return CONNECTIVE.test(turn) || REFERENCE.test(turn) || (turn.match(WORD)?.length ?? 0) <= SHORT_WORDS;
}

/**
 * Salient terms of the earlier turns (newest first, following a chain of follow-ups back at most
 * MAX_CONTEXT_TURNS turns), leaving out stopwords and words the question already has. Names
 * (capitalised mid-sentence), long words and numbers rank first; the chosen ones keep the order
 * they were said in.
 */
function contextTerms(earlier: readonly string[], question: string): string[] {
  const have = new Set((question.match(WORD) ?? []).map((w) => w.toLowerCase()));
  // age 0 = the turn just before the question.
  const found: { term: string; score: number; age: number; at: number }[] = [];
  for (let age = 0; age < MAX_CONTEXT_TURNS && age < earlier.length; age++) {
    const turn = earlier[earlier.length - 1 - age] ?? "";
    for (const m of turn.matchAll(WORD)) {
      const word = m[0].replace(/['’-]+$/, "");
      const lower = word.toLowerCase();
      if (have.has(lower) || STOPWORDS.has(lower) || !meaningful(word)) continue;
      have.add(lower);
      found.push({ term: word, score: salience(word, turn, m.index), age, at: m.index });
    }
    if (!isFollowUp(turn)) break;
  }
  return found
    .sort((a, b) => b.score - a.score || a.age - b.age || a.at - b.at)
    .slice(0, MAX_CONTEXT_TERMS)
    .sort((a, b) => b.age - a.age || a.at - b.at)
    .map((f) => f.term);
}

/** Three letters or more, or an acronym or a number ("UK", "5G", "42"). */
function meaningful(word: string): boolean {
  return word.length >= 3 || /\d/.test(word) || /^\p{Lu}{2,}$/u.test(word);
}

function salience(word: string, turn: string, at: number): number {
  const before = turn.slice(0, at).trimEnd();
  const startsSentence = before === "" || /[.!?:]$/.test(before);
  let score = 0;
  if (/^\p{Lu}/u.test(word) && !startsSentence) score += 2;
  if (/\d/.test(word)) score += 2;
  if (word.length >= 7) score += 1;
  return score;
}

function textParts(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const texts: string[] = [];
  for (const p of content as unknown[]) {
    if (typeof p === "object" && p !== null && "type" in p && p.type === "text" && "text" in p && typeof p.text === "string") texts.push(p.text);
  }
  return texts.join(" ");
}
