import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { adapterFor } from "../../../src/upstream/adapters/index.js";
import { UpstreamError } from "../../../src/upstream/errors.js";
import { createFramer } from "../../../src/upstream/framing.js";
import { DEFAULT_OUTPUT_BOUNDS } from "../../../src/upstream/output-bounds.js";
import { readDeltas } from "../../../src/upstream/stream.js";

const chunk = (text: string): string => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`;

function reader(body: PassThrough) {
  const calls = { released: 0, timedOut: 0 };
  const adapter = adapterFor("openai");
  const deltas = readDeltas(body, createFramer(adapter.framing, 1 << 20), adapter.decoder({ newId: () => "x" }), {
    idleTimeoutMs: 60_000,
    call: {
      timeOut: () => void calls.timedOut++,
      classify: (e) => new UpstreamError({ kind: "connection", message: String(e), cause: e }),
      release: () => void calls.released++,
    },
    bounds: DEFAULT_OUTPUT_BOUNDS,
  });
  return { deltas, calls };
}

async function texts(deltas: AsyncIterable<{ content?: string | undefined }>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of deltas) if (d.content !== undefined) out.push(d.content);
  return out;
}

describe("readDeltas", () => {
  it("hands out deltas written before and after it waits, and reads the rest after the end marker without destroying the body", async () => {
    const body = new PassThrough();
    const { deltas, calls } = reader(body);
    body.write(chunk("a") + chunk("b"));
    const done = texts(deltas);
    setImmediate(() => body.write(chunk("c") + "data: [DONE]\n\n" + chunk("ignored")));
    expect(await done).toEqual(["a", "b", "c"]);
    expect(calls.released).toBe(1);
    expect(body.destroyed).toBe(false);
    // Nobody else reads the body: it ends only if the reader drains what follows the marker.
    const ended = new Promise((r) => body.once("end", r));
    body.end(": trailing\n\n");
    await ended;
  });

  it("refuses a second next() while one waits, hands out deltas at hand, and rejects a bad chunk", async () => {
    const body = new PassThrough();
    const { deltas } = reader(body);
    const waiting = deltas.next();
    await expect(deltas.next()).rejects.toThrow(/while a read is pending/);
    body.write(chunk("a") + chunk("b"));
    expect(await waiting).toMatchObject({ done: false, value: { content: "a" } });
    expect(await deltas.next()).toMatchObject({ done: false, value: { content: "b" } });
    body.write("data: {not json\n\n");
    await expect(deltas.next()).rejects.toMatchObject({ code: "upstream_bad_chunk" });
  });

  it("destroys the body when the consumer leaves early", async () => {
    const body = new PassThrough();
    const { deltas, calls } = reader(body);
    body.write(chunk("a") + chunk("b"));
    for await (const _ of deltas) break;
    expect(body.destroyed).toBe(true);
    expect(calls.released).toBe(1);
  });

  it("a connection that breaks mid-stream is upstream_disconnected, after the deltas before it", async () => {
    const body = new PassThrough();
    const { deltas } = reader(body);
    body.write(chunk("a"));
    const got: string[] = [];
    const failed = (async () => {
      for await (const d of deltas) if (d.content) got.push(d.content);
    })();
    setImmediate(() => body.destroy(new Error("socket hang up")));
    await expect(failed).rejects.toMatchObject({ code: "upstream_disconnected" });
    expect(got).toEqual(["a"]);
  });

  it("ends at EOF without an end marker (an unfinished SSE event is dropped) and lets go of the call", async () => {
    const body = new PassThrough();
    const { deltas, calls } = reader(body);
    body.end(chunk("a") + `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "b" } }] })}`);
    expect(await texts(deltas)).toEqual(["a"]);
    expect(calls.released).toBe(1);
  });
});
