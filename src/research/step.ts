import type { Logger } from "pino";
import type { Source } from "../events/index.js";
import type { ResearchOutcome, ResearchStep } from "../pipeline/index.js";
import { childController } from "../util/index.js";
import { SearchError, type SearchBackend, type SearchResult } from "./backend.js";
import { researchInstruction } from "./prompt.js";
import { researchQuery } from "./query.js";
import { cleanText, cleanUrl, MAX_SNIPPET_CHARS, MAX_TITLE_CHARS } from "./sanitize.js";

/** The most sources any request gets, whatever SEARCH_MAX_RESULTS or a request's `max_results` say. */
export const MAX_RESEARCH_RESULTS = 20;

export interface ResearchStepOptions {
  backend: SearchBackend;
  /** SEARCH_TIMEOUT in ms: the search's own bound, whatever time the request has left. */
  timeoutMs: number;
  /** SEARCH_MAX_RESULTS: the most sources one request gets; a request may ask for fewer. */
  maxResults: number;
  logger?: Pick<Logger, "warn">;
}

/** The abort reason of our own timeout, told apart from the request's end by identity. */
const TIMED_OUT = Object.freeze(new Error("the search timed out"));

/**
 * Research mode's step: the query, one bounded search, the results cleaned and numbered, and the
 * instruction that puts them in the prompt. A failed search is an outcome, never an exception;
 * only the request's own end (its signal) rejects.
 */
export function createResearchStep(opts: ResearchStepOptions): ResearchStep {
  const cap = Math.max(1, Math.min(opts.maxResults, MAX_RESEARCH_RESULTS));
  return {
    async run(request, messages, signal): Promise<ResearchOutcome> {
      const query = researchQuery(request, messages);
      if (query === "") {
        return failed(query, "research_no_query", "research mode found nothing to search for: the latest user turn has no text (send research.query)", false);
      }
      const max = Math.max(1, Math.min(request.maxResults ?? cap, cap));
      const stop = childController(signal);
      const timer = setTimeout(() => stop.abort(TIMED_OUT), opts.timeoutMs);
      try {
        // Some results will not survive cleaning (a javascript: URL, a duplicate): ask for spares.
        const raw = await untilAborted(opts.backend.search(query, max * 2, stop.signal), stop.signal);
        const sources = toSources(raw, max);
        return { ok: true, query, sources, instruction: sources.length > 0 ? researchInstruction(query, sources) : "" };
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        if (stop.signal.reason === TIMED_OUT) {
          return failed(query, "research_timeout", `the search took longer than ${opts.timeoutMs / 1000} s (SEARCH_TIMEOUT)`, true);
        }
        if (e instanceof SearchError) return failed(query, e.code, e.message, e.retryable);
        opts.logger?.warn({ err: e }, "research: the search backend failed unexpectedly");
        return failed(query, "research_failed", "the search failed unexpectedly", true);
      } finally {
        clearTimeout(timer);
        stop.dispose();
      }
    },
  };
}

function failed(query: string, code: string, message: string, retryable: boolean): ResearchOutcome {
  return { ok: false, query, failure: { code, message, retryable } };
}

/** The search, or the abort: a backend that ignores its signal still cannot outlive the bound. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Cleaned, deduplicated, numbered from 1: results without a plain http(s) URL are dropped. */
export function toSources(raw: readonly SearchResult[], max: number): Source[] {
  const sources: Source[] = [];
  const seen = new Set<string>();
  for (const r of raw) {
    if (sources.length >= max) break;
    const url = cleanUrl(r.url);
    if (url === undefined || seen.has(url)) continue;
    seen.add(url);
    const title = cleanText(r.title, MAX_TITLE_CHARS) || new URL(url).hostname;
    sources.push({ index: sources.length + 1, title, url, snippet: cleanText(r.snippet, MAX_SNIPPET_CHARS) });
  }
  return sources;
}
