import { replay } from "./analyse.js";
import type { RelayRun } from "./relay-client.js";
import type { TraceDump, TracedCall, TracedStream } from "./trace-types.js";

/** What the mock recorded for one request through a relay, times already on the client's clock. */
export interface RelayMockSide {
  stream: TracedStream;
  /** Ours only: the prompt summary, which our first byte also waits for. */
  promptSummary?: TracedCall;
  /** Upstream calls the request cost: the stream plus our summaries. */
  calls: number;
}

export interface RelayAnalysis {
  /** Per answer chunk written after the client had its first answer text: arrival − mock write. */
  chunkLatency: number[];
  /** First bytes at the client − the moment the relay could first have sent something. */
  ttfbAdded: number;
  calls: number;
}

/** Index the mock's trace by model name once (a c=200 level has hundreds of requests). */
export function indexTrace(dump: TraceDump): { streams: Map<string, TracedStream>; calls: Map<string, TracedCall[]> } {
  const streams = new Map(dump.streams.map((s) => [s.model, s]));
  const calls = new Map<string, TracedCall[]>();
  for (const c of dump.calls) calls.set(c.model, [...(calls.get(c.model) ?? []), c]);
  return { streams, calls };
}

/**
 * One request through a relay against the mock's own timestamps. Which frames count: those the
 * mock wrote after the client already had answer text — before that, ours holds the answer back
 * by design (its summaries come first), so only the live relay is compared. The answer the client
 * got must be exactly as long as the one the mock sent, or the run is refused.
 */
export function analyseRelay(run: RelayRun, mock: RelayMockSide): RelayAnalysis {
  if (run.error) throw new Error(run.error);
  if (!run.complete) throw new Error("the stream did not end the way its dialect ends a success");
  const { cumulative } = replay(mock.stream);
  const sent = cumulative.at(-1)?.cum ?? 0;
  const got = run.deliveries.at(-1)?.cum ?? 0;
  if (got !== sent) throw new Error(`the client got ${got} answer characters, the mock sent ${sent}`);
  const firstAt = run.deliveries[0]?.at ?? Infinity;
  const chunkLatency: number[] = [];
  let d = 0;
  for (const c of cumulative) {
    while (d < run.deliveries.length && (run.deliveries[d]?.cum ?? 0) < c.cum) d++;
    const delivery = run.deliveries[d];
    if (c.t > firstAt && delivery) chunkLatency.push(delivery.at - c.t);
  }
  // Our first byte needs the upstream's headers (the status hold) and the prompt summary (the
  // first event): the later of the two is the earliest it could have gone out.
  const ready = Math.max(mock.stream.headersAt, mock.promptSummary?.endedAt ?? -Infinity);
  return { chunkLatency, ttfbAdded: run.headersAt - ready, calls: mock.calls };
}
