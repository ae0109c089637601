import type { ProviderAdapter } from "../../src/upstream/adapters/index.js";
import { completionFromDeltas, type ChatCompletion } from "../../src/upstream/adapters/index.js";
import type { UpstreamDelta } from "../../src/upstream/chunks.js";
import { createFramer } from "../../src/upstream/framing.js";

const encoder = new TextEncoder();

/** Ids 1, 2, 3… so tool-call ids in expectations are stable. */
export function counterIds(prefix = "id") {
  let n = 0;
  return { newId: () => `${prefix}${++n}` };
}

/** Run raw body chunks through the adapter's framer and decoder as the client does, synchronously. */
export function decodeChunks(adapter: ProviderAdapter, chunks: Uint8Array[], maxBytes = 1 << 20): UpstreamDelta[] {
  const framer = createFramer(adapter.framing, maxBytes);
  const decoder = adapter.decoder(counterIds("call"));
  const out: UpstreamDelta[] = [];
  for (const chunk of chunks) {
    for (const frame of framer.feed(chunk)) {
      const r = decoder.push(frame);
      out.push(...r.deltas);
      if (r.done) return out;
    }
  }
  for (const frame of framer.end()) out.push(...decoder.push(frame).deltas);
  out.push(...decoder.end());
  return out;
}

/** The body split into two pieces at byte `at` (inside multi-byte characters too). */
export function splitAt(text: string, at: number): Uint8Array[] {
  const bytes = encoder.encode(text);
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

export const bytesOf = (text: string) => encoder.encode(text);

/** Every way to cut the body in two, plus one byte at a time: what any decoder must be indifferent to. */
export function* everySplit(text: string): Generator<Uint8Array[]> {
  const bytes = encoder.encode(text);
  for (let at = 0; at <= bytes.length; at++) yield splitAt(text, at);
  yield Array.from(bytes, (b) => Uint8Array.of(b));
}

/** Deltas folded into one answer, so two decodings can be compared whatever their chunking. */
export function folded(deltas: UpstreamDelta[]): ChatCompletion {
  return completionFromDeltas(deltas, { id: "x", model: "m", created: 0 });
}

/** SSE text from [event, data] pairs. */
export function sse(events: [string | undefined, unknown][]): string {
  return events.map(([event, data]) => `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`).join("");
}
