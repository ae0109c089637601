import type { Collected, StagedRequest } from "../pipeline/index.js";

/** The `stream:false` answer: a chat.completion with our two summaries beside `choices`. */
export function toCompletion(req: StagedRequest, r: Collected, createdSeconds: number) {
  return {
    id: `chatcmpl-${req.requestId}`,
    object: "chat.completion",
    created: createdSeconds,
    model: req.model,
    choices: [{ index: 0, message: { role: "assistant", content: r.answer }, finish_reason: r.finishReason ?? "stop" }],
    ...(r.usage && { usage: r.usage }),
    prompt_summary: r.promptSummary ?? null,
    reasoning_summary: r.reasoningSummary ?? null,
    ...(r.errors.length > 0 && { gateway_errors: r.errors }),
    timings: r.timings ?? null,
  };
}
