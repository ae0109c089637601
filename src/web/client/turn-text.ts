import type { Timings } from "../../events/types.js";
import type { Turn } from "./conversation.js";

/*
 * The words a turn shows, as pure functions of the turn: what the thinking block's title says,
 * why a stage stayed empty, the timing line. Kept apart from the DOM so they read (and are
 * tested) as text.
 */

const MINUTE = 60_000;

/** "12 s", "1 min 5 s". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return ms < MINUTE ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const secs = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;

/** "prompt summary 120 ms · reasoning summary 1.1 s · … · via provider". */
export function timingLine(t: Timings, via: string | null): string {
  const parts: string[] = [];
  const add = (label: string, ms: number | null | undefined) => {
    const v = secs(ms);
    if (v !== null) parts.push(`${label} ${v}`);
  };
  add("prompt summary", t.prompt_summary);
  add("reasoning summary", t.reasoning_summary);
  add("first answer text", t.first_output);
  add("total", t.total);
  if (via) parts.push(`via ${via}`);
  return parts.join(" · ");
}

/** Why a stage that never filled will stay empty, in words ("" while the turn goes on). */
export function notReached(turn: Turn): string {
  switch (turn.status) {
    case "stopped":
      return "Not reached: you stopped the request.";
    case "interrupted":
      return "Not reached: the page was reloaded while this answer was streaming.";
    case "failed":
      return "Not reached: the request failed first.";
    default:
      return "";
  }
}

/** The thinking block's timer: live while the model thinks, frozen once the summary is out. */
export function thinkingClock(turn: Turn, now: number): { text: string; running: boolean; ms: number | null } {
  if (turn.reasoning) {
    const ms = turn.thinkingMs ?? 0;
    return { text: `Thought for ${duration(ms)}`, running: false, ms };
  }
  switch (turn.status) {
    case "streaming": {
      const ms = now - turn.startedAt;
      return { text: `Thinking for ${duration(ms)}`, running: true, ms };
    }
    case "stopped":
      return { text: "Stopped while thinking", running: false, ms: null };
    case "interrupted":
      return { text: "Interrupted while thinking", running: false, ms: null };
    default:
      return { text: "Failed while thinking", running: false, ms: null };
  }
}

/** What else the folded thinking block holds: "2 notes · 3 sources · a summary fell back". */
export function thinkingExtras(turn: Turn): string[] {
  const bits: string[] = [];
  const notes = turn.progress.length;
  if (notes > 0) bits.push(`${notes} note${notes === 1 ? "" : "s"}`);
  if (turn.sources.length > 0) bits.push(`${turn.sources.length} source${turn.sources.length === 1 ? "" : "s"}`);
  if (turn.promptSummary?.source === "fallback" || turn.reasoning?.source === "fallback") bits.push("a summary fell back");
  return bits;
}

/** Whether the thinking block has anything to show (a turn that failed before any stage has not). */
export function hasThinking(turn: Turn): boolean {
  return turn.status === "streaming" || turn.promptSummary !== null || turn.progress.length > 0 || turn.reasoning !== null || turn.sources.length > 0;
}

/** Arguments of a tool call, pretty when they are whole JSON, as they came otherwise. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // still streaming, or not JSON: show it as it came
  }
}
