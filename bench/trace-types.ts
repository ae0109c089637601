/** What the bench mock recorded about one streamed completion, in epoch ms of the mock's clock. */
export interface TracedStream {
  /** The request's `model`: the bench puts a per-request id in it. */
  model: string;
  /** When the mock's handler returned the response (headers about to go out). */
  headersAt: number;
  /** One entry per SSE frame the mock wrote, in order. */
  frames: TracedFrame[];
  /** When the body ended (`[DONE]` written and closed). */
  endedAt: number | null;
}

export interface TracedFrame {
  t: number;
  content?: string;
  reasoning?: string;
}

/** A summary call as the mock's own call log saw it, epoch ms of the mock's clock. */
export interface TracedCall {
  kind: "chat" | "prompt_summary" | "reasoning_summary" | "progress_summary";
  model: string;
  receivedAt: number;
  endedAt: number | null;
  /** Non-streamed calls while tracing: prompt + completion tokens of the mock's answer. */
  tokens?: number;
}

export interface TraceDump {
  streams: TracedStream[];
  calls: TracedCall[];
}
