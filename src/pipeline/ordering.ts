import type { ReasoningSummarySource, StagedEvent, Stage, SummarySource } from "../events/index.js";

type Done = Extract<StagedEvent, { event: "output.done" }>["data"];

/**
 * Holds the four staged events to their order while the three calls finish in any order:
 * `summary.reasoning` waits for `summary.prompt`; the answer waits for `summary.reasoning`,
 * then is flushed as one delta and streams live from there on.
 */
export function createOrderedEmitter(requestId: string, emit: (e: StagedEvent) => void, onFirstOutput: () => void) {
  let promptSent = false;
  // A reasoning summary that finished before the prompt summary waits here.
  let reasoningReady: { text: string; source: ReasoningSummarySource } | undefined;
  let reasoningSent = false;
  // Answer text that arrived before `summary.reasoning` went out.
  let held: string[] = [];
  let outputStarted = false;

  function sendOutput(text: string): void {
    if (!outputStarted) {
      outputStarted = true;
      onFirstOutput();
    }
    emit({ event: "output.delta", data: { request_id: requestId, text } });
  }

  function sendReasoning(r: { text: string; source: ReasoningSummarySource }): void {
    reasoningSent = true;
    emit({ event: "summary.reasoning", data: { request_id: requestId, ...r } });
    if (held.length > 0) {
      const text = held.join("");
      held = [];
      sendOutput(text);
    }
  }

  return {
    promptSummary(text: string, source: SummarySource): void {
      promptSent = true;
      emit({ event: "summary.prompt", data: { request_id: requestId, text, source } });
      if (reasoningReady) sendReasoning(reasoningReady);
    },
    reasoningSummary(text: string, source: ReasoningSummarySource): void {
      if (promptSent) sendReasoning({ text, source });
      else reasoningReady = { text, source };
    },
    answer(text: string): void {
      if (reasoningSent) sendOutput(text);
      else held.push(text);
    },
    /** A failed-over provider's answer never reached the client: forget it. */
    discardHeld(): void {
      held = [];
    },
    error(stage: Stage, e: { message: string; code: string; retryable: boolean }): void {
      emit({ event: "error", data: { request_id: requestId, stage, ...e } });
    },
    /** Only valid once both summaries were handed over; the pipeline awaits them first. */
    done(data: Omit<Done, "request_id">): void {
      emit({ event: "output.done", data: { request_id: requestId, ...data } });
    },
    get outputStarted(): boolean {
      return outputStarted;
    },
  };
}
