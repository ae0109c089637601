import { checkJsonShape } from "../util/index.js";
import { SearchError, type SearchBackend, type SearchResult } from "./backend.js";

/*
 * SearXNG's JSON API: `GET {SEARCH_URL}/search?q=…&format=json` answers
 * `{"query": …, "results": [{"title", "url", "content", "engine", …}], "answers": […], …}`.
 * The instance must list `json` in `search.formats` of its settings.yml, or it answers 403.
 * Only the search endpoint is ever requested: no result URL is fetched, no redirect followed.
 */

/** A real answer is tens of kilobytes; anything past this is not a search result page. */
export const MAX_SEARCH_BODY_BYTES = 1024 * 1024;
/**
 * A real answer nests about five levels (`infoboxes[].attributes[].value`) and holds a few
 * thousand values. Past these, `JSON.parse` itself is the cost: a megabyte of `[[[[…` or of
 * `0,0,0,…` stalls the event loop for every request while it parses (4 MB nested: 1.5 s), so
 * the shape is measured first, in one pass over the text, and such an answer is never parsed.
 */
export const MAX_SEARCH_DEPTH = 16;
export const MAX_SEARCH_VALUES = 50_000;

export interface SearxngOptions {
  /** SEARCH_URL: the instance's base URL (the part before `/search`). */
  url: string;
  fetch: typeof fetch;
  /** Larger answers fail as `research_bad_response` (default MAX_SEARCH_BODY_BYTES). */
  maxBodyBytes?: number;
}

/** The SearXNG backend. Builds no connection until the first search. */
export function createSearxngBackend(opts: SearxngOptions): SearchBackend {
  const base = new URL(opts.url);
  // A SearXNG behind an authenticating proxy: fetch refuses URLs carrying credentials, so they
  // travel as a Basic header instead, and never appear in a message.
  const authorization =
    base.username || base.password ? `Basic ${Buffer.from(`${decoded(base.username)}:${decoded(base.password)}`).toString("base64")}` : undefined;
  base.username = "";
  base.password = "";
  const endpoint = new URL(`${base.pathname.replace(/\/+$/, "")}/search`, base);
  const maxBodyBytes = opts.maxBodyBytes ?? MAX_SEARCH_BODY_BYTES;

  return {
    async search(query, maxResults, signal) {
      const url = new URL(endpoint);
      url.searchParams.set("q", query);
      url.searchParams.set("format", "json");
      let res: Response;
      try {
        res = await opts.fetch(url, {
          method: "GET",
          headers: { accept: "application/json", ...(authorization && { authorization }) },
          // A redirect would make the gateway fetch a URL nobody configured.
          redirect: "manual",
          signal,
        });
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        throw new SearchError("research_failed", `the search engine could not be reached${causeCode(e)}`, true);
      }
      if (res.status < 200 || res.status > 299) {
        await res.body?.cancel().catch(() => undefined);
        throw statusError(res.status);
      }
      const text = await readCapped(res, maxBodyBytes);
      const shape = checkJsonShape(text, { maxDepth: MAX_SEARCH_DEPTH, maxNodes: MAX_SEARCH_VALUES });
      if (shape) {
        const what = shape.limit === "depth" ? `nests deeper than ${MAX_SEARCH_DEPTH} levels` : `holds more than ${MAX_SEARCH_VALUES} values`;
        throw new SearchError("research_bad_response", `the search engine's answer ${what}; a search result page does not`, false);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new SearchError("research_bad_response", "the search engine's answer was not JSON (SearXNG needs `json` in search.formats)", false);
      }
      return resultsOf(body, maxResults);
    },
  };
}

/** A percent-encoded URL part as typed; one that does not decode is used as it is. */
function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function statusError(status: number): SearchError {
  const hint = status === 403 ? " (SearXNG answers 403 when `json` is missing from search.formats)" : "";
  return new SearchError("research_failed", `the search engine answered HTTP ${status}${hint}`, status === 429 || status >= 500);
}

/**
 * The network error's code (ECONNREFUSED, ENOTFOUND…), never its message: undici's messages
 * carry the search engine's address, which is nobody's business but the operator's.
 */
function causeCode(e: unknown): string {
  const cause = e instanceof Error ? e.cause : undefined;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined;
  return typeof code === "string" && /^[A-Z_]{2,40}$/.test(code) ? ` (${code})` : "";
}

/** The body as text, refusing to hold more than `max` bytes of it. */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new SearchError("research_bad_response", `the search engine's answer was larger than ${max} bytes`, false);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** `results[]` as SearchResults; entries without a string `url` are skipped, not fatal. */
function resultsOf(body: unknown, maxResults: number): SearchResult[] {
  const results = typeof body === "object" && body !== null && "results" in body ? body.results : undefined;
  if (!Array.isArray(results)) throw new SearchError("research_bad_response", "the search engine's answer has no `results` list", false);
  const out: SearchResult[] = [];
  for (const r of results as unknown[]) {
    if (out.length >= maxResults) break;
    if (typeof r !== "object" || r === null) continue;
    const { title, url, content } = r as Record<string, unknown>;
    if (typeof url !== "string") continue;
    out.push({ url, title: typeof title === "string" ? title : "", snippet: typeof content === "string" ? content : "" });
  }
  return out;
}
