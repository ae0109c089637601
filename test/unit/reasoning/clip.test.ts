import { describe, it, expect } from "vitest";
import { createReasoningCollector, CLIP_MARKER } from "../../../src/reasoning/index.js";

describe("createReasoningCollector", () => {
  it("returns everything while it fits", () => {
    const c = createReasoningCollector(100);
    c.append("hello ");
    c.append("");
    c.append("world");
    expect(c.text()).toBe("hello world");
    expect(c.totalChars).toBe(11);
  });

  it("returns exactly maxChars characters unclipped", () => {
    const c = createReasoningCollector(20);
    const text = "abcdefghijklmnopqrst";
    for (const ch of text) c.append(ch);
    expect(c.text()).toBe(text);
  });

  it("keeps the head and the tail with a marker between, within maxChars", () => {
    const c = createReasoningCollector(20);
    const text = "0123456789".repeat(5);
    for (let i = 0; i < text.length; i += 7) c.append(text.slice(i, i + 7));
    const out = c.text();
    expect(out).toHaveLength(20);
    expect(out).toBe(text.slice(0, 8) + CLIP_MARKER + text.slice(-9));
    expect(c.totalChars).toBe(50);
  });

  it("stays bounded after 5 MB of appends", () => {
    const max = 8_000;
    const c = createReasoningCollector(max);
    c.append("START-");
    const piece = "the model keeps reasoning about the problem. ";
    let total = 6;
    let maxRetained = 0;
    while (total < 5_000_000) {
      c.append(piece);
      total += piece.length;
      maxRetained = Math.max(maxRetained, c.retainedChars);
    }
    expect(maxRetained).toBeLessThanOrEqual(3 * max);
    c.append("-END");
    const out = c.text();
    expect(c.totalChars).toBe(total + 4);
    expect(out.length).toBeLessThanOrEqual(max);
    expect(out.startsWith("START-the model")).toBe(true);
    expect(out.endsWith("about the problem. -END")).toBe(true);
    expect(out).toContain(CLIP_MARKER);
  });

  it("handles one huge append", () => {
    const c = createReasoningCollector(1_000);
    c.append("h".repeat(600) + "m".repeat(5_000_000) + "t".repeat(600));
    expect(c.retainedChars).toBeLessThanOrEqual(3_000);
    const out = c.text();
    expect(out).toHaveLength(1_000);
    expect(out.startsWith("h".repeat(498))).toBe(true);
    expect(out.endsWith("t".repeat(499))).toBe(true);
  });

  it("does not split a surrogate pair at either cut", () => {
    const c = createReasoningCollector(10); // head 3, tail 4 around the 3-char marker: both cut an emoji
    c.append("ab🤔" + "x".repeat(20) + "🎉bcd");
    const out = c.text();
    expect(out).toBe("ab" + CLIP_MARKER + "bcd");
    expect(() => encodeURIComponent(out)).not.toThrow(); // throws on a lone surrogate
  });

  it("degrades to a head-only clip when maxChars leaves no room for the marker", () => {
    const c = createReasoningCollector(3);
    c.append("abcdef");
    expect(c.text()).toBe("abc");
    expect(createReasoningCollector(0).text()).toBe("");
  });

  it("rejects a negative or fractional maxChars", () => {
    expect(() => createReasoningCollector(-1)).toThrow(RangeError);
    expect(() => createReasoningCollector(1.5)).toThrow(RangeError);
  });
});
