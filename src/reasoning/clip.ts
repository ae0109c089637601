/**
 * Bounded reasoning buffer for the reasoning summary (SPEC §3: at most MAX_REASONING_CHARS, head and tail).
 *
 * Reasoning can run to megabytes; the summary needs how the model started and how it concluded. The head
 * is filled once and then frozen; the tail is a list of fragments trimmed only when it reaches twice its
 * budget, so each character is copied O(1) times on average and memory stays O(maxChars).
 */

import { isHighSurrogate, isLowSurrogate } from "./chars.js";

/** Placed between head and tail when something in the middle was cut. */
export const CLIP_MARKER = "\n…\n";

export interface ReasoningCollector {
  /** Adds reasoning text in stream order. */
  append(text: string): void;
  /** The collected reasoning: everything if it fits in maxChars, else head + marker + tail, maxChars long. */
  text(): string;
  /** Characters appended so far, including any that were cut. */
  readonly totalChars: number;
  /** Characters currently held in memory; stays below about 3 × maxChars (for tests and metrics). */
  readonly retainedChars: number;
}

/**
 * Creates a collector that keeps at most `maxChars` characters of reasoning worth returning: the first
 * half and the last half of the budget left after the marker.
 */
export function createReasoningCollector(maxChars: number): ReasoningCollector {
  if (!Number.isInteger(maxChars) || maxChars < 0) throw new RangeError(`maxChars must be a non-negative integer, got ${maxChars}`);
  // Too small a budget for a marker: keep only the head rather than return more than maxChars.
  const marker = maxChars >= CLIP_MARKER.length + 2 ? CLIP_MARKER : "";
  const budget = maxChars - marker.length;
  const headMax = marker === "" ? maxChars : Math.floor(budget / 2);
  const tailMax = marker === "" ? 0 : budget - headMax;
  // Until the total passes maxChars everything must survive, so the tail keeps this much, not just tailMax.
  const tailKeep = maxChars - headMax;

  let head = "";
  // Fragments of everything after the head, oldest first; trimmed to tailKeep when twice that size.
  let tail: string[] = [];
  let tailChars = 0;
  let totalChars = 0;

  function append(text: string): void {
    if (text === "") return;
    totalChars += text.length;
    let rest = text;
    if (head.length < headMax) {
      const take = headMax - head.length;
      head += rest.slice(0, take);
      rest = rest.slice(take);
      if (rest === "") return;
    }
    if (tailKeep === 0) return;
    tail.push(rest);
    tailChars += rest.length;
    if (tailChars > 2 * tailKeep) {
      const kept = tail.join("").slice(-tailKeep);
      tail = [kept];
      tailChars = kept.length;
    }
  }

  function text(): string {
    const after = tail.join("");
    if (totalChars <= maxChars) return head + after;
    let h = head;
    let t = tailMax > 0 ? after.slice(-tailMax) : "";
    // Never hand out half an emoji at either cut.
    if (h.length > 0 && isHighSurrogate(h.charCodeAt(h.length - 1))) h = h.slice(0, -1);
    if (t.length > 0 && isLowSurrogate(t.charCodeAt(0))) t = t.slice(1);
    return h + marker + t;
  }

  return {
    append,
    text,
    get totalChars() {
      return totalChars;
    },
    get retainedChars() {
      return head.length + tailChars;
    },
  };
}
