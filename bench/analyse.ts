import { scriptPieces } from "../mock-upstream/scenarios.js";
import { createReasoningSeparator, type ParsedPart } from "../src/reasoning/index.js";
import type { StagedRun } from "./client.js";
import type { ScheduleProfile } from "./config.js";
import type { TracedCall, TracedStream } from "./trace-types.js";

export const EVENT_KEYS = ["summary.prompt", "summary.reasoning", "output.delta (first)", "output.done"] as const;
export type EventKey = (typeof EVENT_KEYS)[number];
export type PerEvent = Record<EventKey, number>;

/** What the mock recorded for one staged request, its times already on the client's clock. */
export interface MockSide {
  stream: TracedStream;
  chat: TracedCall;
  promptSummary: TracedCall;
  reasoningSummary: TracedCall;
}

export interface RequestAnalysis {
  /** Ideal and actual arrival, ms after the client sent the request. */
  ideal: PerEvent;
  actual: PerEvent;
  /** actual − ideal, the ideal built from the mock's own timestamps (the figure reported). */
  added: PerEvent;
  /** actual − ideal, the ideal built from the configured delays alone (includes the mock's lateness). */
  addedConfig: PerEvent;
  /** Client: response headers − request sent. */
  ttfb: number;
  /** Per answer chunk written after `summary.reasoning` reached the client: delta arrival − mock write. */
  chunkLatency: number[];
  /** How late the mock itself wrote the chunk that ended reasoning, against its configured schedule. */
  mockLateness: number;
}

/** Each frame's offset from the mock's headers in a perfect mock: role chunk, pieces, usage chunk. */
export function scheduledFrames(p: ScheduleProfile): number[] {
  const pieces = scriptPieces("tagged", p.reasoningText, p.answerText, p.chunkChars);
  const out = [0];
  let t = 0;
  for (const piece of pieces) {
    t += piece.phase === "reasoning" ? p.reasoningChunkMs : p.answerChunkMs;
    out.push(t);
  }
  out.push(t);
  return out;
}

const answerChars = (parts: ParsedPart[]): number => parts.reduce((n, x) => n + (x.type === "answer" ? x.text.length : 0), 0);

/**
 * Replay the mock's frames through the gateway's own separator: which frame ended reasoning, and
 * how much answer text each frame released — exactly what the gateway could forward, and when.
 */
export function replay(stream: TracedStream): { reasoningEnd: number; cumulative: { index: number; t: number; cum: number }[] } {
  const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
  let reasoningEnd = -1;
  let cum = 0;
  const cumulative: { index: number; t: number; cum: number }[] = [];
  stream.frames.forEach((f, index) => {
    const parts = sep.push({ content: f.content ?? null, reasoning: f.reasoning ?? null });
    if (reasoningEnd < 0 && parts.some((x) => x.type === "reasoning-end")) reasoningEnd = index;
    const n = answerChars(parts);
    if (n > 0) cumulative.push({ index, t: f.t, cum: (cum += n) });
  });
  const tail = answerChars(sep.end());
  if (tail > 0) cumulative.push({ index: stream.frames.length, t: stream.endedAt ?? NaN, cum: (cum += tail) });
  return { reasoningEnd, cumulative };
}

const overshoot = (call: TracedCall, configured: number): number => Math.max(0, (call.endedAt ?? call.receivedAt) - call.receivedAt - configured);

/** Compare one staged request's arrivals with its ideal schedule. Throws when the run is unusable. */
export function analyseRequest(run: StagedRun, mock: MockSide, p: ScheduleProfile, schedule: number[]): RequestAnalysis {
  const arrival = (name: string): number => run.events.find((e) => e.name === name)?.at ?? NaN;
  const rel = (t: number): number => t - run.sentAt;
  const { stream } = mock;
  const { reasoningEnd, cumulative } = replay(stream);
  const endFrame = stream.frames[reasoningEnd];
  if (!endFrame || cumulative.length === 0 || stream.endedAt === null) throw new Error(`incomplete trace for ${stream.model}`);

  const prompt = run.sentAt + p.promptSummaryMs + overshoot(mock.promptSummary, p.promptSummaryMs);
  const reasoning = Math.max(prompt, endFrame.t + p.reasoningSummaryMs + overshoot(mock.reasoningSummary, p.reasoningSummaryMs));
  const ideal: PerEvent = {
    "summary.prompt": rel(prompt),
    "summary.reasoning": rel(reasoning),
    "output.delta (first)": rel(Math.max(reasoning, cumulative[0]?.t ?? NaN)),
    "output.done": rel(Math.max(reasoning, stream.endedAt)),
  };
  const firstAnswerFrame = cumulative[0]?.index ?? NaN;
  const at = (i: number): number => p.headersMs + (schedule[Math.min(i, schedule.length - 1)] ?? NaN);
  const configReasoning = Math.max(p.promptSummaryMs, at(reasoningEnd) + p.reasoningSummaryMs);
  const idealConfig: PerEvent = {
    "summary.prompt": p.promptSummaryMs,
    "summary.reasoning": configReasoning,
    "output.delta (first)": Math.max(configReasoning, at(firstAnswerFrame)),
    "output.done": Math.max(configReasoning, at(schedule.length - 1)),
  };
  const actual: PerEvent = {
    "summary.prompt": rel(arrival("summary.prompt")),
    "summary.reasoning": rel(arrival("summary.reasoning")),
    "output.delta (first)": rel(arrival("output.delta")),
    "output.done": rel(arrival("output.done")),
  };
  const diff = (a: PerEvent, b: PerEvent): PerEvent => Object.fromEntries(EVENT_KEYS.map((k) => [k, a[k] - b[k]])) as PerEvent;

  // Live chunks only: written after the client already had summary.reasoning, so nothing held them.
  const srAt = arrival("summary.reasoning");
  const deltas: { at: number; cum: number }[] = [];
  let cum = 0;
  for (const e of run.events) if (e.name === "output.delta") deltas.push({ at: e.at, cum: (cum += e.chars) });
  const chunkLatency: number[] = [];
  for (const c of cumulative) {
    if (!(c.t > srAt)) continue;
    const d = deltas.find((x) => x.cum >= c.cum);
    if (d) chunkLatency.push(d.at - c.t);
  }
  return {
    ideal,
    actual,
    added: diff(actual, ideal),
    addedConfig: diff(actual, idealConfig),
    ttfb: rel(run.headersAt),
    chunkLatency,
    mockLateness: endFrame.t - (mock.chat.receivedAt + at(reasoningEnd)),
  };
}
