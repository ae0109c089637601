// A namespace import lets bundlers drop what is unused (`{ z }` drags in every locale: 450 KB vs 85 KB).
import * as z from "zod";
import type { RouteInfo, Source, Stage, StagedEvent, Timings, ToolCallDelta } from "../../events/types.js";

/*
 * The playground's conversation as data: what one turn holds, how each staged event changes it,
 * what the next request sends, and how it is kept in the browser's storage. No DOM here, so the
 * rules are unit-tested directly.
 */

/** How a turn ended (or that it has not yet). `interrupted`: the page was reloaded mid-answer. */
export type TurnStatus = "streaming" | "done" | "failed" | "stopped" | "interrupted";

export interface StageText {
  text: string;
  source: string;
}

export interface ProgressNote {
  index: number;
  text: string;
  /** ms after the turn was sent. */
  atMs: number;
}

export interface ToolCall {
  index: number;
  id: string;
  name: string;
  arguments: string;
}

export interface StageError {
  stage: Stage;
  message: string;
  code: string;
}

export interface Turn {
  id: string;
  prompt: string;
  model: string;
  /** Epoch ms when it was sent. */
  startedAt: number;
  status: TurnStatus;
  requestId: string | null;
  promptSummary: StageText | null;
  progress: ProgressNote[];
  reasoning: StageText | null;
  /** ms from sending to `summary.reasoning`: how long the user watched the model think. */
  thinkingMs: number | null;
  answer: string;
  toolCalls: ToolCall[];
  sources: Source[];
  /** Summary or research steps that failed (and fell back): shown in their own section. */
  stageErrors: StageError[];
  /** Why the turn ended without an answer, or with part of one. */
  failure: string | null;
  /** While a warming-up upstream is retried: what the user is waiting for. */
  retry: string | null;
  timings: Timings | null;
  route: RouteInfo | null;
}

export function newTurn(init: { id: string; prompt: string; model: string; startedAt: number }): Turn {
  return {
    ...init,
    status: "streaming",
    requestId: null,
    promptSummary: null,
    progress: [],
    reasoning: null,
    thinkingMs: null,
    answer: "",
    toolCalls: [],
    sources: [],
    stageErrors: [],
    failure: null,
    retry: null,
    timings: null,
    route: null,
  };
}

/** Folds streamed tool-call fragments into whole calls (OpenAI's `delta.tool_calls` rules). */
export function mergeToolCalls(calls: ToolCall[], deltas: readonly ToolCallDelta[]): void {
  for (const d of deltas) {
    let call = calls.find((c) => c.index === d.index);
    if (!call) {
      call = { index: d.index, id: "", name: "", arguments: "" };
      calls.push(call);
    }
    if (d.id) call.id = d.id;
    if (d.function?.name) call.name += d.function.name;
    if (d.function?.arguments) call.arguments += d.function.arguments;
  }
  calls.sort((a, b) => a.index - b.index);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Applies one staged event to the turn; `atMs` is when it arrived, after sending. */
export function applyEvent(turn: Turn, ev: StagedEvent, atMs: number): void {
  switch (ev.event) {
    case "summary.prompt":
      turn.promptSummary = { text: ev.data.text, source: ev.data.source };
      break;
    case "research.sources":
      turn.sources = ev.data.sources;
      break;
    case "summary.progress":
      if (!turn.progress.some((p) => p.index === ev.data.index)) turn.progress.push({ index: ev.data.index, text: ev.data.text, atMs });
      break;
    case "reasoning.delta":
      // The playground shows summaries only; it never asks for the raw reasoning.
      break;
    case "summary.reasoning":
      turn.reasoning = { text: ev.data.text, source: ev.data.source };
      turn.thinkingMs = atMs;
      turn.retry = null;
      break;
    case "output.delta":
      turn.answer += ev.data.text;
      turn.retry = null;
      break;
    case "output.tool_calls":
      mergeToolCalls(turn.toolCalls, ev.data.tool_calls);
      break;
    case "output.done":
      turn.timings = ev.data.timings;
      turn.route = ev.data.route ?? null;
      if (ev.data.sources) turn.sources = ev.data.sources;
      turn.retry = null;
      turn.status = "done";
      break;
    case "upstream.retry": {
      const d = ev.data;
      const why = d.message || d.code;
      turn.retry = `${d.provider ? `${d.provider}: ` : ""}${why} — retry ${d.attempt}/${d.max_retries} in ${seconds(d.delay_ms)}`;
      break;
    }
    case "error":
      if (ev.data.stage === "upstream") turn.failure = `${ev.data.message} (${ev.data.code})`;
      else turn.stageErrors.push({ stage: ev.data.stage, message: ev.data.message, code: ev.data.code });
      break;
    default: {
      // A new event in the union must be handled above: this line stops compiling until it is.
      const unhandled: never = ev;
      void unhandled;
    }
  }
}

/** Marks a turn that ended without `output.done`. The first reason given wins. */
export function endTurn(turn: Turn, status: Exclude<TurnStatus, "streaming" | "done">, failure: string | null = null): void {
  if (turn.status !== "streaming") return;
  turn.status = status;
  turn.retry = null;
  if (failure !== null && turn.failure === null) turn.failure = failure;
}

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

/**
 * The messages for the next request: every earlier turn that produced answer text (finished or
 * stopped — what the user saw), then the new prompt. Failed turns are left out: their partial text
 * was never an answer.
 */
export function toMessages(turns: readonly Turn[], prompt: string): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const t of turns) {
    if ((t.status === "done" || t.status === "stopped" || t.status === "interrupted") && t.answer !== "") {
      out.push({ role: "user", content: t.prompt }, { role: "assistant", content: t.answer });
    }
  }
  out.push({ role: "user", content: prompt });
  return out;
}

const stageText = z.object({ text: z.string(), source: z.string() });
const storedTurn = z.object({
  id: z.string(),
  prompt: z.string(),
  model: z.string(),
  startedAt: z.number(),
  status: z.enum(["streaming", "done", "failed", "stopped", "interrupted"]),
  requestId: z.string().nullable().catch(null),
  promptSummary: stageText.nullable().catch(null),
  progress: z.array(z.object({ index: z.number(), text: z.string(), atMs: z.number() })).catch([]),
  reasoning: stageText.nullable().catch(null),
  thinkingMs: z.number().nullable().catch(null),
  answer: z.string(),
  toolCalls: z.array(z.object({ index: z.number(), id: z.string(), name: z.string(), arguments: z.string() })).catch([]),
  sources: z.array(z.object({ index: z.number(), title: z.string(), url: z.string(), snippet: z.string() })).catch([]),
  stageErrors: z
    .array(z.object({ stage: z.enum(["prompt_summary", "reasoning_summary", "upstream", "research", "validation"]), message: z.string(), code: z.string() }))
    .catch([]),
  failure: z.string().nullable().catch(null),
  retry: z.null().catch(null),
  timings: z
    .looseObject({
      prompt_summary: z.number().nullable(),
      reasoning_end: z.number().nullable(),
      reasoning_summary: z.number().nullable(),
      first_output: z.number().nullable(),
      total: z.number(),
    })
    .nullable()
    .catch(null),
  route: z.object({ provider: z.string(), strategy: z.string(), reason: z.string(), attempts: z.number() }).nullable().catch(null),
});
/**
 * One turn as saved in the browser's storage, checked: storage is an edge (another version of the
 * page, or a person, may have written it), so a turn that does not read is dropped (null) rather
 * than breaking the page. A turn saved while streaming was cut off by a reload: it comes back
 * `interrupted`.
 */
export function readStoredTurn(raw: unknown): Turn | null {
  const parsed = storedTurn.safeParse(raw);
  if (!parsed.success) return null;
  const turn: Turn = parsed.data;
  if (turn.status === "streaming") turn.status = "interrupted";
  return turn;
}

/** A turn as it is saved: the retry note is a live-only state. */
export function storableTurn(turn: Turn): Turn {
  return { ...turn, retry: null };
}
