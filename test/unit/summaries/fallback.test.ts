import { describe, expect, it } from "vitest";
import { fallbackSummary } from "../../../src/summaries/index.js";

describe("fallbackSummary", () => {
  it("keeps the first two sentences, whitespace collapsed", () => {
    expect(fallbackSummary("  One thing.\n\n Two   things!  Three things? Four.")).toBe("One thing. Two things!");
  });

  it("keeps one sentence when two would be too long", () => {
    const a = `${"a".repeat(200)}.`;
    const b = `${"b".repeat(200)}.`;
    expect(fallbackSummary(`${a} ${b}`)).toBe(a);
  });

  it("cuts a long sentence near 300 characters at a word boundary", () => {
    const out = fallbackSummary("word ".repeat(200));
    expect(out.length).toBeLessThanOrEqual(301);
    expect(out.length).toBeGreaterThan(180);
    expect(out.endsWith("…")).toBe(true);
    expect(out).not.toMatch(/\s…$/);
  });

  it("handles text without punctuation and empty text", () => {
    expect(fallbackSummary("no punctuation here")).toBe("no punctuation here");
    expect(fallbackSummary("   ")).toBe("");
  });

  it("does not split on decimals", () => {
    expect(fallbackSummary("Pi is 3.14 roughly. Next sentence. Third.")).toBe("Pi is 3.14 roughly. Next sentence.");
  });
});
