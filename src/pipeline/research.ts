import type { Source } from "../events/index.js";
import { withInstruction, type ChatMessage } from "./request.js";

/** What a request asked of research mode (`research: true` or `{query, max_results}`). */
export interface ResearchRequest {
  /** Defaults to the latest user turn. */
  query?: string;
  maxResults?: number;
}

export type ResearchOutcome =
  | {
      ok: true;
      query: string;
      sources: Source[];
      /** The system message that puts the sources in the prompt, with citation instructions. */
      instruction: string;
    }
  | { ok: false; query: string; failure: { message: string; code: string; retryable: boolean } };

/**
 * Research mode's one door into the pipeline: search before the main call. Resolves with the
 * sources or with why there are none; never rejects for a search problem (a failed search makes
 * an answer without sources, never a failed request). Rejects only when `signal` aborts.
 */
export interface ResearchStep {
  run(request: ResearchRequest, messages: readonly ChatMessage[], signal: AbortSignal): Promise<ResearchOutcome>;
}

/** The messages with the research instruction first (merged into a leading system message). */
export function withResearch(messages: readonly ChatMessage[], instruction: string): ChatMessage[] {
  return withInstruction(messages, instruction);
}
