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
  return new Collector(maxChars);
}

/** One class for every open stream's collector: its methods are on the prototype, not closures per stream. */
class Collector implements ReasoningCollector {
  private readonly marker: string;
  private readonly headMax: number;
  private readonly tailMax: number;
  // Until the total passes maxChars everything must survive, so the tail keeps this much, not just tailMax.
  private readonly tailKeep: number;
  private head = "";
  // Fragments of everything after the head, oldest first; trimmed to tailKeep when twice that size.
  private tail: string[] = [];
  private tailChars = 0;
  totalChars = 0;

  constructor(private readonly maxChars: number) {
    // Too small a budget for a marker: keep only the head rather than return more than maxChars.
    this.marker = maxChars >= CLIP_MARKER.length + 2 ? CLIP_MARKER : "";
    const budget = maxChars - this.marker.length;
    this.headMax = this.marker === "" ? maxChars : Math.floor(budget / 2);
    this.tailMax = this.marker === "" ? 0 : budget - this.headMax;
    this.tailKeep = maxChars - this.headMax;
  }

  append(text: string): void {
    if (text === "") return;
    this.totalChars += text.length;
    let rest = text;
    if (this.head.length < this.headMax) {
      const take = this.headMax - this.head.length;
      this.head += rest.slice(0, take);
      rest = rest.slice(take);
      if (rest === "") return;
    }
    if (this.tailKeep === 0) return;
    this.tail.push(rest);
    this.tailChars += rest.length;
    if (this.tailChars > 2 * this.tailKeep) {
      const kept = this.tail.join("").slice(-this.tailKeep);
      this.tail = [kept];
      this.tailChars = kept.length;
    }
  }

  text(): string {
    const after = this.tail.join("");
    if (this.totalChars <= this.maxChars) return this.head + after;
    let h = this.head;
    let t = this.tailMax > 0 ? after.slice(-this.tailMax) : "";
    // Never hand out half an emoji at either cut.
    if (h.length > 0 && isHighSurrogate(h.charCodeAt(h.length - 1))) h = h.slice(0, -1);
    if (t.length > 0 && isLowSurrogate(t.charCodeAt(0))) t = t.slice(1);
    return h + this.marker + t;
  }

  get retainedChars(): number {
    return this.head.length + this.tailChars;
  }
}
