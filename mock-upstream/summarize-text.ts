/**
 * Text helpers shared by the mock's summarisers: sentence splitting and content words.
 */

const STOPWORDS = new Set(
  (
    "a about above after again against all also am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have having " +
    "he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on " +
    "once only or other our ours out over own same she should so some such than that the their them then there " +
    "these they this those through to too under until up very was we were what when where which while who whom " +
    "why will with would you your yours please let lets i'm it's that's there's should would could may might must"
  ).split(" "),
);

/** Longest sentence we quote; longer ones are cut at a word boundary. */
export const MAX_SENTENCE_CHARS = 300;

/** Strip markup the gateway or a model may wrap text in (e.g. `<analysis>`), and list markers. */
function clean(text: string): string {
  return text
    .replace(/<\/?[a-zA-Z][\w-]{0,30}>/g, " ")
    .replace(/^\s*(?:[-*•]|\d+[.)])\s+/gm, "")
    .trim();
}

/** Split into sentences at terminal punctuation or line breaks, whitespace collapsed. */
export function splitSentences(text: string): string[] {
  return clean(text)
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.replace(/\s+/g, " ").trim())
    .filter((s) => /[a-zA-Z0-9]/.test(s));
}

/** Lower-cased content words (stopwords and one-letter words dropped). */
export function words(sentence: string): string[] {
  return (sentence.toLowerCase().match(/[a-z0-9][a-z0-9'-]*/g) ?? []).filter((w) => w.length > 1 && !STOPWORDS.has(w));
}
