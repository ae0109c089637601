import { describe, expect, it } from "vitest";
import { createCitationScanner, findCitations, MAX_CITATIONS, type Citation } from "../../../src/surfaces/index.js";

const marked = (text: string, cs: Citation[]) => cs.map((c) => [c.index, text.slice(c.start, c.end)]);

describe("findCitations", () => {
  it("finds [n], [n][m] and [n, m] that name a source; positions slice out the marker", () => {
    const text = "Blue light scatters [1]. Sunsets are red [2][1]. Both [1, 2]. Also [1,3].";
    expect(marked(text, findCitations(text, 3))).toEqual([
      [1, "[1]"],
      [2, "[2]"],
      [1, "[1]"],
      [1, "[1, 2]"],
      [2, "[1, 2]"],
      [1, "[1,3]"],
      [3, "[1,3]"],
    ]);
  });

  it("ignores numbers that name no source, and things that only look like citations", () => {
    const text = "See [0], [4], [1234], [a], [ 1 ], [], array[2 and [2020] but [2].";
    expect(marked(text, findCitations(text, 3))).toEqual([[2, "[2]"]]);
    expect(findCitations("[1]", 0)).toEqual([]);
  });

  it("counts UTF-16 positions, as JavaScript strings index them", () => {
    const text = "😀 café [1]";
    const [c] = findCitations(text, 1);
    expect(c).toEqual({ index: 1, start: 8, end: 11 });
    expect(text.slice(c?.start, c?.end)).toBe("[1]");
  });

  it(`stops at ${MAX_CITATIONS} citations`, () => {
    expect(findCitations("[1]".repeat(MAX_CITATIONS + 50), 1)).toHaveLength(MAX_CITATIONS);
  });
});

describe("createCitationScanner: the same citations however the text is split", () => {
  const text = "Rayleigh [1] says so[2]; sunsets [12][1, 2] too [3]. End [2";
  const whole = findCitations(text, 12);

  it("at every split point into two pieces", () => {
    for (let i = 0; i <= text.length; i++) {
      const s = createCitationScanner(12);
      expect([...s.feed(text.slice(0, i)), ...s.feed(text.slice(i))], `split at ${i}`).toEqual(whole);
    }
  });

  it("one character at a time", () => {
    const s = createCitationScanner(12);
    expect([...text].flatMap((ch) => s.feed(ch))).toEqual(whole);
  });

  it("holds back only a short unfinished marker, and finds what the whole text would", () => {
    const long = `[${"1,".repeat(40)}1]`;
    const s = createCitationScanner(3);
    expect(s.feed(long.slice(0, -2))).toEqual([]);
    // Far too long to be a marker: the scanner gave up on it, as findCitations does.
    expect(s.feed(long.slice(-2))).toEqual([]);
    expect(findCitations(long, 3)).toEqual([]);
    expect(findCitations("[1,2,3,1,2]", 3)).toHaveLength(5);
  });
});
