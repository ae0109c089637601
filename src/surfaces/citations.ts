import type { Source } from "../events/index.js";

/*
 * Which sources an answer actually cites: every `[n]` (or `[n, m]`) whose numbers name a source,
 * found in the final text. Positions are JavaScript string (UTF-16) indices into the answer,
 * `end` exclusive, so `text.slice(start, end)` is the marker itself.
 */

export interface Citation {
  /** The source's 1-based number, as the model was told to cite it. */
  index: number;
  start: number;
  end: number;
}

/**
 * `[12]`, `[1, 2]`, up to five numbers: a marker is short (at most 29 characters), so a held
 * partial one is too, and a streamed answer finds exactly what the whole text would.
 */
const MARKER = /\[(\d{1,3}(?:\s?,\s?\d{1,3}){0,4})\]/g;
const PARTIAL = /^\[[\d,\s]*$/;
const MAX_MARKER_CHARS = 32;
/** An answer is bounded by the upstream's, but its annotations need not grow with it. */
export const MAX_CITATIONS = 512;

/**
 * Finds citations in text that arrives in pieces: a marker split across two deltas is still
 * found. Holds back at most MAX_MARKER_CHARS; stops counting at MAX_CITATIONS.
 */
export function createCitationScanner(sourceCount: number) {
  // The text after the last complete marker that may still begin one ("" or "[…"), and where it starts.
  let tail = "";
  let tailStart = 0;
  let found = 0;

  return {
    /** The citations completed by this piece of text. */
    feed(text: string): Citation[] {
      const buf = tail + text;
      const bufStart = tailStart;
      const out: Citation[] = [];
      let scannedTo = 0;
      for (const m of buf.matchAll(MARKER)) {
        scannedTo = m.index + m[0].length;
        for (const n of (m[1] ?? "").split(",").map((x) => Number(x.trim()))) {
          if (n < 1 || n > sourceCount || found >= MAX_CITATIONS) continue;
          found++;
          out.push({ index: n, start: bufStart + m.index, end: bufStart + scannedTo });
        }
      }
      const open = buf.lastIndexOf("[");
      const keep = open >= scannedTo && buf.length - open <= MAX_MARKER_CHARS && PARTIAL.test(buf.slice(open)) ? open : buf.length;
      tail = buf.slice(keep);
      tailStart = bufStart + keep;
      return out;
    },
  };
}

/** Every citation in a whole answer. */
export function findCitations(text: string, sourceCount: number): Citation[] {
  return sourceCount > 0 ? createCitationScanner(sourceCount).feed(text) : [];
}

/** A Responses `output_text` annotation (openai-node's `ResponseOutputText.URLCitation`). */
export interface UrlCitationAnnotation {
  type: "url_citation";
  url: string;
  title: string;
  start_index: number;
  end_index: number;
}

/** The citations as Responses annotations; numbers that name no source were already left out. */
export function urlCitations(citations: readonly Citation[], sources: readonly Source[]): UrlCitationAnnotation[] {
  const out: UrlCitationAnnotation[] = [];
  for (const c of citations) {
    const s = sources.find((x) => x.index === c.index);
    if (s) out.push({ type: "url_citation", url: s.url, title: s.title, start_index: c.start, end_index: c.end });
  }
  return out;
}

/** The citations as chat-completion `message.annotations` (openai-node's `ChatCompletionMessage.Annotation`). */
export function chatUrlCitations(citations: readonly Citation[], sources: readonly Source[]) {
  return urlCitations(citations, sources).map(({ url, title, start_index, end_index }) => ({
    type: "url_citation" as const,
    url_citation: { url, title, start_index, end_index },
  }));
}
