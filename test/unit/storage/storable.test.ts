import { describe, expect, it } from "vitest";
import { MAX_JSON_CHARS, TRUNCATION_MARK, bounded, storableJson, storableText } from "../../../src/storage/storable.js";

describe("storable text", () => {
  it("removes NUL and replaces lone surrogates, keeping pairs, U+2028 and other controls", () => {
    expect(storableText("a\u0000b")).toBe("ab");
    expect(storableText("\udecf\udc44")).toBe("\ufffd\ufffd");
    expect(storableText("x\ud800")).toBe("x\ufffd");
    expect(storableText("🌈\u2028\u2029\u0001\uffff")).toBe("🌈\u2028\u2029\u0001\uffff");
  });

  it("cuts to the limit with a marker that says how much was left out, never inside a pair", () => {
    const cut = bounded("m".repeat(3000), 256);
    expect(cut).toHaveLength(256);
    expect(cut).toMatch(/^m+…\[truncated \d+ chars\]$/);
    expect(Number(/(\d+) chars/.exec(cut)![1]) + cut.indexOf(TRUNCATION_MARK)).toBe(3000);
    expect(bounded("short", 256)).toBe("short");
    for (let limit = 20; limit < 40; limit++) {
      const out = bounded("🌈".repeat(50), limit);
      expect(out.length).toBeLessThanOrEqual(limit);
      expect(storableText(out)).toBe(out);
    }
  });

  it("makes every string and key of a JSON value storable, and replaces a huge one with a marker object", () => {
    expect(JSON.parse(storableJson({ "k\u0000": ["a\ud800", { n: 1 }] })!)).toEqual({ k: ["a\ufffd", { n: 1 }] });
    expect(storableJson(null)).toBeNull();
    const huge = storableJson({ text: "x".repeat(MAX_JSON_CHARS) })!;
    expect(huge.length).toBeLessThan(10_000);
    expect(JSON.parse(huge)).toMatchObject({ truncated: true, chars: MAX_JSON_CHARS + 11 });
  });
});
