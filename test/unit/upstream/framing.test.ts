import { describe, expect, it } from "vitest";
import { createNdjsonFramer, createSseFramer, type Frame } from "../../../src/upstream/framing.js";
import { UpstreamError } from "../../../src/upstream/index.js";
import { bytesOf, everySplit } from "../../helpers/native.js";

const feedAll = (framer: ReturnType<typeof createSseFramer>, chunks: Uint8Array[]): Frame[] => [...chunks.flatMap((c) => framer.feed(c)), ...framer.end()];

describe("SSE framing", () => {
  const body = 'event: a\ndata: {"x":"é🙂"}\n\n: comment\n\ndata: line1\ndata: line2\n\r\ndata: [DONE]\n\n';
  const expected: Frame[] = [
    { event: "a", data: '{"x":"é🙂"}' },
    { event: undefined, data: "line1\nline2" },
    { event: undefined, data: "[DONE]" },
  ];

  it("gives the same frames however the bytes are cut, multi-byte characters included", () => {
    for (const chunks of everySplit(body)) expect(feedAll(createSseFramer(1024), chunks)).toEqual(expected);
  });

  it("ends with upstream_line_too_long once an unfinished line passes the cap, holding no more than that", () => {
    const framer = createSseFramer(1000);
    expect(framer.feed(bytesOf('data: {"a":1}\n\n'))).toHaveLength(1);
    framer.feed(bytesOf(`data: ${"x".repeat(900)}`)); // 906 held: under the cap
    let err: unknown;
    try {
      framer.feed(bytesOf("x".repeat(200)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: "upstream_line_too_long", kind: "stream", retryable: false });
  });

  it("bounds an event that keeps adding data lines without its blank line", () => {
    const framer = createSseFramer(1000);
    expect(() => {
      for (let i = 0; i < 100; i++) framer.feed(bytesOf(`data: ${"y".repeat(50)}\n`));
    }).toThrow(/longer than 1000 bytes/);
  });

  // The parsers' callbacks are shared module functions: each feed() must get its own stream's
  // events, and one stream's overflow must not end another.
  it("keeps streams apart when their chunks interleave, and an overflow is its own stream's", () => {
    const a = createSseFramer(1000);
    const b = createSseFramer(1000);
    expect(a.feed(bytesOf("data: a1\n\ndata: a"))).toEqual([{ event: undefined, data: "a1" }]);
    expect(b.feed(bytesOf("event: e\ndata: b1\n"))).toEqual([]);
    expect(a.feed(bytesOf("2\n\n"))).toEqual([{ event: undefined, data: "a2" }]);
    expect(b.feed(bytesOf("\ndata: b2\n\n"))).toEqual([
      { event: "e", data: "b1" },
      { event: undefined, data: "b2" },
    ]);
    const c = createSseFramer(100);
    expect(() => c.feed(bytesOf(`data: ${"z".repeat(200)}`))).toThrow(/longer than 100 bytes/);
    expect(a.feed(bytesOf("data: a3\n\n"))).toEqual([{ event: undefined, data: "a3" }]);
  });
});

describe("NDJSON framing", () => {
  const body = '{"a":"é"}\n\n{"b":"🙂"}\r\n{"c":3}';
  const expected: Frame[] = [
    { event: undefined, data: '{"a":"é"}' },
    { event: undefined, data: '{"b":"🙂"}' },
    { event: undefined, data: '{"c":3}' }, // the last line needs no newline
  ];

  it("gives the same lines however the bytes are cut", () => {
    for (const chunks of everySplit(body)) expect(feedAll(createNdjsonFramer(1024), chunks)).toEqual(expected);
  });

  it("counts bytes since the last newline and refuses past the cap", () => {
    const framer = createNdjsonFramer(1000);
    // Complete lines of any number never count against the cap.
    for (let i = 0; i < 50; i++) expect(framer.feed(bytesOf(`{"n":"${"z".repeat(500)}"}\n`))).toHaveLength(1);
    framer.feed(bytesOf("é".repeat(500))); // 1000 bytes held: at the cap
    expect(() => framer.feed(bytesOf("!"))).toThrow(expect.objectContaining({ code: "upstream_line_too_long" }));
  });
});
