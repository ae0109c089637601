import type { Source } from "../events/index.js";
import { withInstruction, type ChatMessage, type ResearchRequest } from "./request.js";

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

/** Where research mode's outcome is told: the ordered output's research part. */
export interface ResearchOutput {
  sources(query: string, sources: Source[]): void;
  noSources(): void;
  error(stage: "research", e: { message: string; code: string; retryable: boolean }): void;
}

/**
 * Search first (research mode): tell the client what was found — or, as an `error` event, why
 * nothing was — and return the sources and the messages the upstream gets (with the sources in
 * the prompt when there are any).
 */
export async function searchFirst(
  step: ResearchStep | undefined,
  request: ResearchRequest,
  messages: ChatMessage[],
  out: ResearchOutput,
  signal: AbortSignal,
): Promise<{ sources: Source[]; messages: ChatMessage[]; failure?: { code: string } }> {
  if (!step) {
    const failure = { message: "research mode is not configured on this gateway (SEARCH_URL)", code: "research_unavailable", retryable: false };
    out.error("research", failure);
    out.noSources();
    return { sources: [], messages, failure };
  }
  const r = await step.run(request, messages, signal);
  if (!r.ok) {
    out.error("research", r.failure);
    out.noSources();
    return { sources: [], messages, failure: r.failure };
  }
  out.sources(r.query, r.sources);
  return { sources: r.sources, messages: r.sources.length > 0 ? withInstruction(messages, r.instruction) : messages };
}
