import type { EventData, ReasoningSummarySource, Source, StagedEvent, Stage, SummarySource, ToolCallDelta } from "../events/index.js";

type Done = Omit<EventData<"output.done">, "request_id">;

/** Output that arrived before `summary.reasoning` went out, in arrival order. */
type HeldOutput = { kind: "text"; text: string } | { kind: "tools"; calls: ToolCallDelta[] };

export interface OrderingOptions {
  /** Research mode: `research.sources` comes right after `summary.prompt`, before anything else. */
  expectSources: boolean;
  /**
   * Held output above this many characters pauses the upstream (see `waitForRoom`) until
   * `summary.reasoning` is out — a bound on memory that loses nothing.
   */
  maxHeldChars: number;
}

/** Reasoning-phase events that arrived before `summary.prompt` (and the sources): sent in arrival order. */
type Early = { kind: "progress"; index: number; text: string; source: SummarySource } | { kind: "raw"; text: string };

/**
 * Holds the staged events to their order while the calls finish in any order:
 * `summary.prompt` → `research.sources` → (`summary.progress` and `reasoning.delta`, as they come) →
 * `summary.reasoning` → output (`output.delta` and `output.tool_calls`, in upstream order) →
 * `output.done`. Output is held only until `summary.reasoning`, then flushed and streamed live; raw
 * reasoning only until `summary.prompt`. `error` and `upstream.retry` events are not part of the
 * order and pass straight through.
 */
export function createOrderedEmitter(requestId: string, emit: (e: StagedEvent) => void, onFirstOutput: () => void, opts: OrderingOptions) {
  // Each flag says which staged event has gone out; the order above is enforced by waiting.
  let promptSent = false;
  let sourcesSent = !opts.expectSources;
  let reasoningSent = false;
  let outputStarted = false;
  // Events ready before their turn.
  let sourcesReady: { query: string; sources: Source[] } | undefined;
  let early: Early[] = [];
  // Characters of raw reasoning waiting in `early`: counted against the same cap as held output.
  let earlyChars = 0;
  let reasoningReady: { text: string; source: ReasoningSummarySource } | undefined;
  // Output before `summary.reasoning`, and its size in characters.
  let held: HeldOutput[] = [];
  let heldChars = 0;
  // Resolves the pipeline's wait once held output may grow again.
  let room: { promise: Promise<void>; resolve: () => void } | undefined;

  const ready = () => promptSent && sourcesSent;

  function startOutput(): void {
    if (outputStarted) return;
    outputStarted = true;
    onFirstOutput();
  }

  function sendText(text: string): void {
    startOutput();
    emit({ event: "output.delta", data: { request_id: requestId, text } });
  }

  function sendTools(calls: ToolCallDelta[]): void {
    startOutput();
    emit({ event: "output.tool_calls", data: { request_id: requestId, tool_calls: calls } });
  }

  /** Sends whatever became sendable, in order. Called after every state change. */
  function advance(): void {
    if (!promptSent) return;
    if (!sourcesSent && sourcesReady) {
      sourcesSent = true;
      emit({ event: "research.sources", data: { request_id: requestId, ...sourcesReady } });
      sourcesReady = undefined;
    }
    if (!ready()) return;
    if (!reasoningSent && early.length > 0) {
      for (const e of early) {
        if (e.kind === "progress") emit({ event: "summary.progress", data: { request_id: requestId, index: e.index, text: e.text, source: e.source } });
        else emit({ event: "reasoning.delta", data: { request_id: requestId, text: e.text } });
      }
      early = [];
      earlyChars = 0;
      if (heldChars < opts.maxHeldChars) openRoom();
    }
    if (!reasoningSent && reasoningReady) {
      reasoningSent = true;
      emit({ event: "summary.reasoning", data: { request_id: requestId, ...reasoningReady } });
      flushHeld();
    }
  }

  function flushHeld(): void {
    // Adjacent text is sent as one delta: the client gets the held answer in one piece.
    let text = "";
    for (const item of held) {
      if (item.kind === "text") text += item.text;
      else {
        if (text !== "") sendText(text);
        text = "";
        sendTools(item.calls);
      }
    }
    if (text !== "") sendText(text);
    held = [];
    heldChars = 0;
    openRoom();
  }

  function openRoom(): void {
    room?.resolve();
    room = undefined;
  }

  return {
    promptSummary(text: string, source: SummarySource): void {
      promptSent = true;
      emit({ event: "summary.prompt", data: { request_id: requestId, text, source } });
      advance();
    },
    sources(query: string, sources: Source[]): void {
      sourcesReady = { query, sources };
      advance();
    },
    /** Research was skipped or failed: nothing to wait for. */
    noSources(): void {
      sourcesSent = true;
      advance();
    },
    progress(index: number, text: string, source: SummarySource): void {
      // Reasoning is over once its summary went out; a late progress summary has no place.
      if (reasoningSent) return;
      early.push({ kind: "progress", index, text, source });
      advance();
    },
    /**
     * The model's own reasoning, for a client that asked for it: live once `summary.prompt` is out,
     * held (and counted towards the cap) until then; none after `summary.reasoning`.
     */
    reasoningDelta(text: string): void {
      if (reasoningSent || text === "") return;
      if (ready()) return emit({ event: "reasoning.delta", data: { request_id: requestId, text } });
      const last = early.at(-1);
      if (last?.kind === "raw") last.text += text;
      else early.push({ kind: "raw", text });
      earlyChars += text.length;
    },
    reasoningSummary(text: string, source: ReasoningSummarySource): void {
      reasoningReady = { text, source };
      advance();
    },
    answer(text: string): void {
      if (reasoningSent) return sendText(text);
      held.push({ kind: "text", text });
      heldChars += text.length;
    },
    toolCalls(calls: ToolCallDelta[]): void {
      if (reasoningSent) return sendTools(calls);
      held.push({ kind: "tools", calls });
      for (const c of calls) heldChars += (c.function?.arguments?.length ?? 0) + 32;
    },
    /**
     * A promise to wait on before reading more from the upstream while held output is at its
     * cap; `undefined` (no allocation) when there is room.
     */
    waitForRoom(): Promise<void> | undefined {
      if (reasoningSent || heldChars + earlyChars < opts.maxHeldChars) return undefined;
      if (!room) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        room = { promise, resolve };
      }
      return room.promise;
    },
    /** A failed-over provider's output never reached the client: forget it. */
    discardHeld(): void {
      held = [];
      heldChars = 0;
      openRoom();
    },
    error(stage: Stage, e: { message: string; code: string; retryable: boolean }): void {
      emit({ event: "error", data: { request_id: requestId, stage, ...e } });
    },
    retry(data: Omit<EventData<"upstream.retry">, "request_id">): void {
      emit({ event: "upstream.retry", data: { request_id: requestId, ...data } });
    },
    /** Only valid once every summary was handed over; the pipeline awaits them first. */
    done(data: Done): void {
      emit({ event: "output.done", data: { request_id: requestId, ...data } });
    },
    /** The run is over (failed or cancelled): nobody waits for room any more. */
    close(): void {
      openRoom();
    },
    get outputStarted(): boolean {
      return outputStarted;
    },
    get reasoningSent(): boolean {
      return reasoningSent;
    },
  };
}

export type OrderedEmitter = ReturnType<typeof createOrderedEmitter>;
