import { request, type Agent } from "undici";
import { epochNow } from "./clock.js";
import { summarize, type Summary } from "./stats.js";
import type { TraceDump, TracedCall, TracedStream } from "./trace-types.js";

async function call(agent: Agent, url: string, method: "GET" | "POST", body?: unknown): Promise<unknown> {
  const res = await request(url, {
    dispatcher: agent,
    method,
    ...(body !== undefined && { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const json: unknown = await res.body.json();
  if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
}

/** Change the running mock's options (its own `/_mock/config`). */
export async function configureMock(agent: Agent, mockUrl: string, patch: unknown): Promise<void> {
  await call(agent, `${mockUrl}/_mock/config`, "POST", patch);
}

export async function setTracing(agent: Agent, mockUrl: string, on: boolean): Promise<void> {
  await call(agent, `${mockUrl}/__bench/trace`, "POST", { on });
}

/** Take what the mock recorded (and make it forget), times moved onto the client's clock. */
export async function takeTrace(agent: Agent, mockUrl: string, offsetMs: number): Promise<TraceDump> {
  const dump = (await call(agent, `${mockUrl}/__bench/trace`, "GET")) as TraceDump;
  const shift = (t: number): number => t - offsetMs;
  const streams: TracedStream[] = dump.streams.map((s) => ({
    ...s,
    headersAt: shift(s.headersAt),
    endedAt: s.endedAt === null ? null : shift(s.endedAt),
    frames: s.frames.map((f) => ({ ...f, t: shift(f.t) })),
  }));
  const calls: TracedCall[] = dump.calls.map((c) => ({ ...c, receivedAt: shift(c.receivedAt), endedAt: c.endedAt === null ? null : shift(c.endedAt) }));
  return { streams, calls };
}

/**
 * The mock's clock minus ours, NTP-style: of several round trips, the shortest bounds the error
 * by half its length. Both clocks are `timeOrigin + now()`, so this is normally a few µs.
 */
export async function measureOffset(agent: Agent, mockUrl: string, samples = 20): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Infinity };
  for (let i = 0; i < samples; i++) {
    const sent = epochNow();
    const { now } = (await call(agent, `${mockUrl}/__bench/clock`, "GET")) as { now: number };
    const back = epochNow();
    if (back - sent < best.rttMs) best = { offsetMs: now - (sent + back) / 2, rttMs: back - sent };
  }
  return best;
}

/**
 * A plain HTTP round trip to the mock, back to back and after an idle pause: the machine's own
 * floor for one loopback hop. A staged event crosses four of them (client → gateway → mock →
 * gateway → client), and on a VM each hop after idling costs far more than a hop under load.
 */
export async function measureHop(agent: Agent, mockUrl: string, pauseMs: number, samples = 30): Promise<Summary | null> {
  const rtts: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    const sent = epochNow();
    await call(agent, `${mockUrl}/__bench/clock`, "GET");
    rtts.push(epochNow() - sent);
  }
  return summarize(rtts);
}
