import type { ProviderKind } from "../kinds.js";
import { anthropicAdapter } from "./anthropic/index.js";
import { geminiAdapter } from "./gemini/index.js";
import { ollamaAdapter } from "./ollama/index.js";
import { openaiAdapter } from "./openai.js";
import type { ProviderAdapter } from "./types.js";

const ADAPTERS: Record<ProviderKind, ProviderAdapter> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  ollama: ollamaAdapter,
};

/** The adapter for a provider's kind (absent = OpenAI-compatible). */
export function adapterFor(kind: ProviderKind | undefined): ProviderAdapter {
  return ADAPTERS[kind ?? "openai"];
}

export type { AdapterContext, BuiltRequest, CallMode, ProviderAdapter, StreamDecoder, UpstreamTarget } from "./types.js";
export { completionFromDeltas, type ChatCompletion } from "./completion.js";
