/**
 * One search result exactly as a backend got it: untrusted text from the web, cleaned later by
 * the research step (see sanitize.ts) before anything reads it.
 */
export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

/**
 * A search engine behind research mode. One small interface so another protocol (a hosted search
 * API, a test double) can replace SearXNG without touching the step that uses it.
 */
export interface SearchBackend {
  /**
   * At most `maxResults` results, best first. Throws a SearchError for a search that failed, and
   * rejects with `signal.reason` once `signal` aborts.
   */
  search(query: string, maxResults: number, signal: AbortSignal): Promise<SearchResult[]>;
}

/** Why a search failed, in the words the `error` event carries. */
export type SearchFailureCode = "research_failed" | "research_bad_response";

/** A search that did not produce results: recognised by class, never by its message. */
export class SearchError extends Error {
  override readonly name = "SearchError";
  constructor(
    readonly code: SearchFailureCode,
    message: string,
    /** Worth trying again later (the search engine was down or busy), not a broken setup. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
