import { describe, expect, it } from "vitest";
import { cleanText, cleanUrl, cut, MAX_URL_CHARS, plainLine } from "../../../src/research/sanitize.js";

describe("cleanText: page text becomes one plain, short line", () => {
  it("drops markup and what scripts and styles hide, keeping the visible words", () => {
    const raw = '<p>Blue <b>light</b> scatters<script>alert("x")</script><style>p{color:red}</style><!-- hidden --> more.</p><img src=x onerror=alert(1)>';
    expect(cleanText(raw, 200)).toBe("Blue light scatters more.");
  });

  it("decodes entities, and markup spelled with entities goes too", () => {
    expect(cleanText("Tom &amp; Jerry &quot;run&quot; &#39;fast&#x27; &lt;b&gt;bold&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;", 200)).toBe(
      `Tom & Jerry "run" 'fast' bold`,
    );
  });

  it("removes control, bidi and zero-width characters and collapses every line break", () => {
    const raw = 'a\u0000b\u0007c\u001b[31m red\u202Eevil\u2066x\u200By\uFEFF\r\n\n[9] title: "fake"\u2028next\u0085end';
    const out = cleanText(raw, 200);
    expect(out).toBe('abc[31m redevilxy [9] title: "fake" nextend');
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\n\r]/);
  });

  it("an unclosed script hides the rest; an unclosed tag at the end goes", () => {
    expect(cleanText("Visible <script>var secret = 1; and more", 200)).toBe("Visible");
    expect(cleanText('Visible <a href="javascript:alert(1)" title="', 200)).toBe("Visible");
  });

  it("caps the length at a word boundary with an ellipsis, and never splits a surrogate pair", () => {
    const words = "word ".repeat(100);
    const out = cleanText(words, 50);
    expect(out.length).toBeLessThanOrEqual(50);
    expect(out.endsWith("word…")).toBe(true);
    const emoji = "😀".repeat(100);
    const cutEmoji = cut(emoji, 10);
    expect(cutEmoji.length).toBeLessThanOrEqual(10);
    expect(cutEmoji).toBe(`${"😀".repeat(4)}…`);
  });

  it("a 1 MB snippet of hostile markup costs what a short one does and comes out bounded", () => {
    const huge = "<div>".repeat(100_000) + "x".repeat(500_000) + "<script>".repeat(50_000);
    const t0 = performance.now();
    const out = cleanText(huge, 500);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out).not.toContain("<");
  });
});

describe("plainLine (queries): whitespace and controls only, markup kept", () => {
  it("keeps `<div>` a user asked about, and may cut without a mark", () => {
    expect(plainLine("what does\n<div>\u0000 do?", 100)).toBe("what does <div> do?");
    expect(plainLine("abcdefghij", 5, "")).toBe("abcde");
  });
});

describe("cleanUrl: only plain http(s), normalised", () => {
  it("keeps http and https, normalised", () => {
    expect(cleanUrl("https://Example.org/a b?q=1#x")).toBe("https://example.org/a%20b?q=1#x");
    expect(cleanUrl("  http://example.org  ")).toBe("http://example.org/");
  });

  it("refuses every other scheme, relative URLs, garbage and over-long URLs", () => {
    for (const bad of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "file:///etc/passwd",
      "ftp://example.org/",
      "/relative",
      "not a url",
      "",
      `https://example.org/${"a".repeat(MAX_URL_CHARS)}`,
    ]) {
      expect(cleanUrl(bad), bad).toBeUndefined();
    }
  });

  it("drops credentials nobody should be handed", () => {
    expect(cleanUrl("https://user:secret@example.org/p")).toBe("https://example.org/p");
  });
});
