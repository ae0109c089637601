/** The wire protocols the gateway speaks upstream. `openai` is every OpenAI-compatible server. */
export const PROVIDER_KINDS = ["openai", "anthropic", "gemini", "ollama"] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Where each kind's chat endpoint lives under its base URL unless the providers file says otherwise. */
export const DEFAULT_PATHS: Record<ProviderKind, string> = {
  openai: "/chat/completions",
  anthropic: "/v1/messages",
  // Gemini's path is the API version; the model and method are appended per call.
  gemini: "/v1beta",
  ollama: "/api/chat",
};

/** Per-provider settings of the native APIs (from the providers file); every field optional. */
export interface NativeOptions {
  /**
   * Anthropic: `thinking.budget_tokens` (≥ 1024) — extended thinking is on only when set.
   * Gemini: `thinkingConfig.thinkingBudget` (-1 dynamic, 0 off); thoughts are asked for either way.
   */
  thinkingBudget?: number | undefined;
  /** Anthropic: the `anthropic-version` header (default 2023-06-01). */
  anthropicVersion?: string | undefined;
  /** Anthropic: `max_tokens` when the request has none (the API requires one; default 4096). */
  defaultMaxTokens?: number | undefined;
  /** Ollama: the `think` field (default true; a level string for models that take one). */
  think?: boolean | "low" | "medium" | "high" | undefined;
}

/**
 * Will this provider report reasoning in its API's own field (Anthropic thinking blocks, Gemini
 * thought parts, Ollama `message.thinking`)? Then asking the model for reasoning tags as well
 * would only put tags into the answer, so `auto` mode reads the fields alone for it.
 */
export function reportsNativeReasoning(target: { kind?: ProviderKind | undefined; native?: NativeOptions | undefined }, effort?: string): boolean {
  // A request's `reasoning_effort` decides over the provider's setting (the adapters map it).
  if (effort !== undefined && target.kind !== undefined && target.kind !== "openai") return effort !== "none";
  switch (target.kind) {
    case "anthropic":
      return target.native?.thinkingBudget !== undefined;
    case "gemini":
      return target.native?.thinkingBudget !== 0;
    case "ollama":
      return target.native?.think !== false;
    default:
      return false;
  }
}
