// Research mode: search the web before the main call and ground the answer in cited sources.
// The pipeline sees only the ResearchStep made here; the request field's schema is here too.
export { createResearchStep, MAX_RESEARCH_RESULTS, type ResearchStepOptions } from "./step.js";
export { createSearxngBackend, MAX_SEARCH_BODY_BYTES, MAX_SEARCH_DEPTH, MAX_SEARCH_VALUES, type SearxngOptions } from "./searxng.js";
export { SearchError, type SearchBackend, type SearchFailureCode, type SearchResult } from "./backend.js";
export { MAX_QUERY_CHARS } from "./query.js";
export { researchField } from "./request-field.js";
