import { stagedMessage, type SseOut, type StagedEvent } from "../events/index.js";
import type { Collected, StagedRequest } from "../pipeline/index.js";
import type { Failure, StreamEncoder } from "./types.js";

/** The staged dialect of `POST /v1/chat/completions`: each event as it is, by name. */
export function stagedEncoder(requestId: string): StreamEncoder {
  return new StagedEncoder(requestId);
}

/** A class rather than an object of closures: one prototype for every open stream's encoder. */
class StagedEncoder implements StreamEncoder {
  constructor(private readonly requestId: string) {}

  event(e: StagedEvent, out: SseOut): void {
    out(stagedMessage(e));
  }

  failure(f: Failure, out: SseOut): void {
    out(
      stagedMessage({
        event: "error",
        data: { request_id: this.requestId, stage: f.stage ?? "upstream", message: f.message, code: f.code, retryable: f.retryable },
      }),
    );
  }

  end(): void {}
}

/**
 * The `chat.completion` frame both chat surfaces answer `stream:false` with: the answer (`content`
 * null when the turn is only tool calls), whole tool calls, finish reason and usage. `message`
 * adds a surface's own fields to the message.
 */
export function chatCompletion(req: StagedRequest, r: Collected, createdSeconds: number, message: Record<string, unknown> = {}) {
  const toolCalls = r.toolCalls.length > 0 ? r.toolCalls : undefined;
  return {
    id: `chatcmpl-${req.requestId}`,
    object: "chat.completion",
    created: createdSeconds,
    model: req.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: toolCalls && r.answer === "" ? null : r.answer, ...message, ...(toolCalls && { tool_calls: toolCalls }) },
        logprobs: null,
        finish_reason: r.finishReason ?? "stop",
      },
    ],
    ...(r.usage && { usage: r.usage }),
    ...(r.sources.length > 0 && { sources: r.sources }),
    ...(r.validation && { validation: r.validation }),
  };
}

/**
 * The staged `stream:false` answer: a chat.completion with the summaries beside `choices`, and the
 * model's own reasoning in `message.reasoning_content` when it was asked for.
 */
export function stagedCompletion(req: StagedRequest, r: Collected, createdSeconds: number) {
  return {
    ...chatCompletion(req, r, createdSeconds, r.reasoning !== "" ? { reasoning_content: r.reasoning } : {}),
    prompt_summary: r.promptSummary ?? null,
    reasoning_summary: r.reasoningSummary ?? null,
    ...(r.errors.length > 0 && { gateway_errors: r.errors }),
    timings: r.timings ?? null,
  };
}
