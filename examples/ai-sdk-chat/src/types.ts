import type { DataUIPart, UIMessage } from "ai";

/*
 * What the gateway's UI message stream carries, as types for useChat: the message metadata
 * (on `start` and `finish`) and the data parts, named without their `data-` prefix.
 */

export interface StageData {
  text: string;
  source: "model" | "fallback" | "empty";
}

export interface GatewayMetadata {
  requestId: string;
  model: string;
  usage?: { inputTokens?: number; outputTokens?: number; totalTokens?: number; reasoningTokens?: number };
  timings?: { prompt_summary: number | null; reasoning_summary: number | null; first_output: number | null; total: number };
}

// A type, not an interface: useChat wants a record of data types.
export type GatewayDataParts = {
  "prompt-summary": StageData;
  progress: StageData & { index: number };
  "reasoning-summary": StageData;
  /** Transient: a stage that fell back to a sentence summary (only `onData` sees it). */
  "stage-error": { stage: string; code: string; message: string; retryable: boolean };
  /** Transient: the gateway is retrying the upstream. */
  "upstream-retry": { provider: string; attempt: number; maxRetries: number; delayMs: number; code: string; message: string };
};

export type GatewayMessage = UIMessage<GatewayMetadata, GatewayDataParts>;

/** The message's data part of one type (the gateway sends at most one of each stage). */
export function dataPart<K extends keyof GatewayDataParts>(message: GatewayMessage, name: K): GatewayDataParts[K] | undefined {
  const part = message.parts.find((p): p is DataUIPart<GatewayDataParts> => p.type === `data-${name}`);
  // A data part's type names its data: `data-${K}` carries GatewayDataParts[K].
  return part?.data as GatewayDataParts[K] | undefined;
}
