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
export function createOrderedEmitter(requestId: string, emit: (e: StagedEvent) => void, onFirstOutput: () => void, opts: OrderingOptions): OrderedEmitter {
  return new OrderedEmitter(requestId, emit, onFirstOutput, opts);
}

/**
 * The ordering's state and steps as one class: its methods live once on the prototype rather than
 * as ≈ 20 closures in every open stream.
 */
export class OrderedEmitter {
  // Each flag says which staged event has gone out; the order above is enforced by waiting.
  private promptSent = false;
  private sourcesSent: boolean;
  private reasoningWasSent = false;
  private outputWasStarted = false;
  // Events ready before their turn.
  private sourcesReady: { query: string; sources: Source[] } | undefined;
  private early: Early[] = [];
  // Characters of raw reasoning waiting in `early`: counted against the same cap as held output.
  private earlyChars = 0;
  private reasoningReady: { text: string; source: ReasoningSummarySource } | undefined;
  // Output before `summary.reasoning`, and its size in characters.
  private held: HeldOutput[] = [];
  private heldChars = 0;
  // Resolves the pipeline's wait once held output may grow again.
  private room: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly maxHeldChars: number;

  constructor(
    private readonly requestId: string,
    private readonly emit: (e: StagedEvent) => void,
    private readonly onFirstOutput: () => void,
    opts: OrderingOptions,
  ) {
    this.sourcesSent = !opts.expectSources;
    this.maxHeldChars = opts.maxHeldChars;
  }

  private ready(): boolean {
    return this.promptSent && this.sourcesSent;
  }

  private startOutput(): void {
    if (this.outputWasStarted) return;
    this.outputWasStarted = true;
    this.onFirstOutput();
  }

  private sendText(text: string): void {
    this.startOutput();
    this.emit({ event: "output.delta", data: { request_id: this.requestId, text } });
  }

  private sendTools(calls: ToolCallDelta[]): void {
    this.startOutput();
    this.emit({ event: "output.tool_calls", data: { request_id: this.requestId, tool_calls: calls } });
  }

  /** Sends whatever became sendable, in order. Called after every state change. */
  private advance(): void {
    if (!this.promptSent) return;
    const requestId = this.requestId;
    if (!this.sourcesSent && this.sourcesReady) {
      this.sourcesSent = true;
      this.emit({ event: "research.sources", data: { request_id: requestId, ...this.sourcesReady } });
      this.sourcesReady = undefined;
    }
    if (!this.ready()) return;
    if (!this.reasoningWasSent && this.early.length > 0) {
      for (const e of this.early) {
        if (e.kind === "progress") this.emit({ event: "summary.progress", data: { request_id: requestId, index: e.index, text: e.text, source: e.source } });
        else this.emit({ event: "reasoning.delta", data: { request_id: requestId, text: e.text } });
      }
      this.early = [];
      this.earlyChars = 0;
      if (this.heldChars < this.maxHeldChars) this.openRoom();
    }
    if (!this.reasoningWasSent && this.reasoningReady) {
      this.reasoningWasSent = true;
      this.emit({ event: "summary.reasoning", data: { request_id: requestId, ...this.reasoningReady } });
      this.flushHeld();
    }
  }

  private flushHeld(): void {
    // Adjacent text is sent as one delta: the client gets the held answer in one piece.
    let text = "";
    for (const item of this.held) {
      if (item.kind === "text") text += item.text;
      else {
        if (text !== "") this.sendText(text);
        text = "";
        this.sendTools(item.calls);
      }
    }
    if (text !== "") this.sendText(text);
    this.held = [];
    this.heldChars = 0;
    this.openRoom();
  }

  private openRoom(): void {
    this.room?.resolve();
    this.room = undefined;
  }

  promptSummary(text: string, source: SummarySource): void {
    this.promptSent = true;
    this.emit({ event: "summary.prompt", data: { request_id: this.requestId, text, source } });
    this.advance();
  }

  sources(query: string, sources: Source[]): void {
    this.sourcesReady = { query, sources };
    this.advance();
  }

  /** Research was skipped or failed: nothing to wait for. */
  noSources(): void {
    this.sourcesSent = true;
    this.advance();
  }

  progress(index: number, text: string, source: SummarySource): void {
    // Reasoning is over once its summary went out; a late progress summary has no place.
    if (this.reasoningWasSent) return;
    this.early.push({ kind: "progress", index, text, source });
    this.advance();
  }

  /**
   * The model's own reasoning, for a client that asked for it: live once `summary.prompt` is out,
   * held (and counted towards the cap) until then; none after `summary.reasoning`.
   */
  reasoningDelta(text: string): void {
    if (this.reasoningWasSent || text === "") return;
    if (this.ready()) return this.emit({ event: "reasoning.delta", data: { request_id: this.requestId, text } });
    const last = this.early.at(-1);
    if (last?.kind === "raw") last.text += text;
    else this.early.push({ kind: "raw", text });
    this.earlyChars += text.length;
  }

  reasoningSummary(text: string, source: ReasoningSummarySource): void {
    this.reasoningReady = { text, source };
    this.advance();
  }

  answer(text: string): void {
    if (this.reasoningWasSent) return this.sendText(text);
    this.held.push({ kind: "text", text });
    this.heldChars += text.length;
  }

  toolCalls(calls: ToolCallDelta[]): void {
    if (this.reasoningWasSent) return this.sendTools(calls);
    this.held.push({ kind: "tools", calls });
    for (const c of calls) this.heldChars += (c.function?.arguments?.length ?? 0) + 32;
  }

  /**
   * A promise to wait on before reading more from the upstream while held output is at its
   * cap; `undefined` (no allocation) when there is room.
   */
  waitForRoom(): Promise<void> | undefined {
    if (this.reasoningWasSent || this.heldChars + this.earlyChars < this.maxHeldChars) return undefined;
    if (!this.room) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.room = { promise, resolve };
    }
    return this.room.promise;
  }

  /** A failed-over provider's output never reached the client: forget it. */
  discardHeld(): void {
    this.held = [];
    this.heldChars = 0;
    this.openRoom();
  }

  error(stage: Stage, e: { message: string; code: string; retryable: boolean }): void {
    this.emit({ event: "error", data: { request_id: this.requestId, stage, ...e } });
  }

  retry(data: Omit<EventData<"upstream.retry">, "request_id">): void {
    this.emit({ event: "upstream.retry", data: { request_id: this.requestId, ...data } });
  }

  /** Only valid once every summary was handed over; the pipeline awaits them first. */
  done(data: Done): void {
    this.emit({ event: "output.done", data: { request_id: this.requestId, ...data } });
  }

  /** The run is over (failed or cancelled): nobody waits for room any more. */
  close(): void {
    this.openRoom();
  }

  get outputStarted(): boolean {
    return this.outputWasStarted;
  }

  get reasoningSent(): boolean {
    return this.reasoningWasSent;
  }
}
