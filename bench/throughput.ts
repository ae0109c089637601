import type { Agent } from "undici";
import { closedLoop, directStream, stagedRequest } from "./client.js";
import { epochNow } from "./clock.js";
import { QUESTION, ZERO_LATENCY } from "./config.js";
import { configureMock, takeTrace } from "./mock-control.js";
import { cpuMs } from "./procs.js";
import { summarize, type Summary } from "./stats.js";

export interface LoadResult {
  concurrency: number;
  seconds: number;
  completed: number;
  failed: number;
  perSecond: number;
  /** CPU ms per completed request of each process (bench = the load client itself). */
  cpuMsPerRequest: { gateway: number | null; mock: number; bench: number };
  /** Share of one core each process used over the run. */
  coreShare: { gateway: number | null; mock: number; bench: number };
  latency: Summary | null;
  ttfb: Summary | null;
}

export interface ThroughputResult {
  /** Plain streamed completions straight to the mock: its own ceiling. */
  mockCeiling: LoadResult;
  staged: LoadResult;
  /** Staged requests one at a time, zero delays: the gateway's own time to first byte and to done. */
  unloaded: LoadResult;
}

interface Pids {
  gateway: number;
  mock: number;
}

export async function measure(
  pids: { gateway: number | null; mock: number },
  o: { concurrency: number; seconds: number; warmupSeconds: number },
  one: () => Promise<{ ok: boolean; latency: number; ttfb: number }>,
): Promise<LoadResult> {
  await closedLoop({ concurrency: o.concurrency, untilMs: epochNow() + o.warmupSeconds * 1000 }, one);
  const cpu = () => ({ gateway: pids.gateway === null ? 0 : cpuMs(pids.gateway), mock: cpuMs(pids.mock), bench: process.cpuUsage() });
  const before = cpu();
  const started = epochNow();
  const rows = await closedLoop({ concurrency: o.concurrency, untilMs: started + o.seconds * 1000 }, one);
  const elapsed = epochNow() - started;
  const after = cpu();
  const ok = rows.filter((r) => r.ok);
  const n = Math.max(1, ok.length);
  const benchCpu = (after.bench.user + after.bench.system - before.bench.user - before.bench.system) / 1000;
  const gatewayCpu = pids.gateway === null ? null : after.gateway - before.gateway;
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    concurrency: o.concurrency,
    seconds: r3(elapsed / 1000),
    completed: ok.length,
    failed: rows.length - ok.length,
    perSecond: r3(ok.length / (elapsed / 1000)),
    cpuMsPerRequest: { gateway: gatewayCpu === null ? null : r3(gatewayCpu / n), mock: r3((after.mock - before.mock) / n), bench: r3(benchCpu / n) },
    coreShare: {
      gateway: gatewayCpu === null ? null : r3(gatewayCpu / elapsed),
      mock: r3((after.mock - before.mock) / elapsed),
      bench: r3(benchCpu / elapsed),
    },
    latency: summarize(ok.map((r) => r.latency)),
    ttfb: summarize(ok.map((r) => r.ttfb)),
  };
}

/** One staged request with a fixed model (no per-request names: this is the plain hot path). */
export const stagedOnce = (agent: Agent, gatewayUrl: string) => async () => {
  const run = await stagedRequest(agent, gatewayUrl, { model: "mock-tagged", messages: [{ role: "user", content: QUESTION }], stream: true });
  const done = run.events.find((e) => e.name === "output.done");
  return { ok: run.status === 200 && done !== undefined && !run.error, latency: (done?.at ?? NaN) - run.sentAt, ttfb: run.headersAt - run.sentAt };
};

/**
 * Zero-delay mock, closed loop for a fixed time: staged requests through the gateway, and, before
 * them, plain streamed completions straight to the mock so the gateway's figure has a ceiling to
 * be read against. CPU comes from /proc for the two servers and process.cpuUsage for the client.
 */
export async function runThroughput(o: {
  agent: Agent;
  gatewayUrl: string;
  mockUrl: string;
  pids: Pids;
  concurrency: number;
  seconds: number;
}): Promise<ThroughputResult> {
  await configureMock(o.agent, o.mockUrl, { latency: ZERO_LATENCY });
  const load = { concurrency: o.concurrency, seconds: o.seconds, warmupSeconds: Math.min(2, o.seconds / 4) };
  const direct = { model: "mock-tagged", stream: true, messages: [{ role: "user", content: QUESTION }] };
  const mockCeiling = await measure({ gateway: null, mock: o.pids.mock }, load, async () => {
    const s = await directStream(o.agent, `${o.mockUrl}/v1`, direct, false);
    return { ok: true, latency: s.endAt - s.sentAt, ttfb: s.headersAt - s.sentAt };
  });
  await takeTrace(o.agent, o.mockUrl, 0); // the mock's call log grows with every call: empty it
  const staged = await measure(o.pids, load, stagedOnce(o.agent, o.gatewayUrl));
  const unloaded = await measure(o.pids, { concurrency: 1, seconds: Math.min(3, o.seconds), warmupSeconds: 0.5 }, stagedOnce(o.agent, o.gatewayUrl));
  await takeTrace(o.agent, o.mockUrl, 0);
  return { mockCeiling, staged, unloaded };
}
