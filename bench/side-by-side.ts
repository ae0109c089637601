import type { Agent } from "undici";
import { scheduledFrames } from "./analyse.js";
import { closedLoop } from "./client.js";
import { epochNow } from "./clock.js";
import { mockOptionsFor, plainAnswerText, QUESTION, ZERO_LATENCY, type ScheduleProfile, type SideBySideSettings, type SystemId } from "./config.js";
import { runMemory, type MemoryResult, type ParkedRelay } from "./memory.js";
import { configureMock, setTracing, takeTrace } from "./mock-control.js";
import { treeCpuMs, type Proc } from "./procs.js";
import { relayRequest, type Dialect } from "./relay-client.js";
import { analyseRelay, indexTrace } from "./side-by-side-analyse.js";
import { summarize, type Summary } from "./stats.js";

/*
 * The side-by-side section: the same paced mock upstream behind every relay — the floor (a bare
 * node:http + undici relay), Portkey's gateway, and ours three ways — one repetition after another,
 * the relays' order reversed every other repetition so that load from elsewhere on the machine
 * falls on all of them alike. Every figure is a median over repetitions, with its spread.
 */

export const SYSTEM_LABELS: Record<SystemId, string> = {
  floor: "floor",
  portkey: "Portkey",
  plain: "ours plain (/v1)",
  openai: "ours plain (/openai/v1)",
  staged: "ours staged",
};

/** One relay under test: where requests go, how its stream reads, whose CPU it costs. */
export interface RelayTarget {
  id: SystemId;
  /** The chat-completions URL. */
  url: string;
  dialect: Dialect;
  headers: Record<string, string>;
  /** `tagged`: a reasoning model (three upstream calls through ours); `plain`: no reasoning. */
  scenario: "plain" | "tagged";
  /** Ours: the request names a summary model, and the mock answers its summary calls. */
  ours: boolean;
  pid: number;
}

/** How each relay is addressed, given the base URL of its process. */
export function relayTarget(id: SystemId, base: string, pid: number, mockUrl: string): RelayTarget {
  const chat = `${base}/v1/chat/completions`;
  switch (id) {
    case "floor":
      return { id, url: chat, dialect: "openai", headers: {}, scenario: "plain", ours: false, pid };
    case "portkey":
      // Portkey picks the provider and its host per request; 127.0.0.1 is on its trusted-host list.
      return {
        id,
        url: chat,
        dialect: "openai",
        headers: { "x-portkey-provider": "openai", "x-portkey-custom-host": `${mockUrl}/v1`, authorization: "Bearer bench" },
        scenario: "plain",
        ours: false,
        pid,
      };
    case "plain":
      return { id, url: chat, dialect: "staged", headers: {}, scenario: "plain", ours: true, pid };
    case "openai":
      return { id, url: `${base}/openai/v1/chat/completions`, dialect: "openai", headers: {}, scenario: "plain", ours: true, pid };
    case "staged":
      return { id, url: chat, dialect: "staged", headers: {}, scenario: "tagged", ours: true, pid };
  }
}

/** A request body: the name carries the request's id to the mock, its suffix picks the scenario. */
function bodyFor(t: RelayTarget, name: string) {
  return {
    model: `${name}-${t.scenario}`,
    messages: [{ role: "user", content: QUESTION }],
    stream: true,
    ...(t.ours && { summary_model: `${name}-sum` }),
  };
}

/** The mock's texts for a relay: the plain stream is as long as the tagged one (config.ts). */
const mockTexts = (t: RelayTarget, p: ScheduleProfile) => (t.scenario === "plain" ? { answerText: plainAnswerText(p) } : { answerText: p.answerText });

/** One value per repetition, and what the report shows of them. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  values: number[];
}

export function spread(values: readonly number[]): Spread | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return null;
  const sorted = [...v].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? (sorted[Math.floor(mid)] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return { median: r3(median), min: r3(sorted[0] ?? NaN), max: r3(sorted.at(-1) ?? NaN), values: v.map(r3) };
}

/** One relay at one paced level in one repetition. */
export interface PacedRun {
  concurrency: number;
  requests: number;
  chunk: Summary | null;
  ttfbAdded: Summary | null;
  /** CPU of the relay's process tree per request in steady state (ms; /proc counts 10 ms ticks). */
  cpuMsPerRequest: number;
  /** Upstream calls per request, median (1 for a pure relay, 2 or 3 for ours). */
  calls: number;
  failed: number;
  failures: string[];
}

/** One relay against the zero-delay mock in one repetition. */
export interface ZeroRun {
  concurrency: number;
  perSecond: number;
  cpuMsPerRequest: number;
  completed: number;
  failed: number;
}

export interface RelaySummary {
  id: SystemId;
  label: string;
  /** Per paced level: medians over repetitions of the per-repetition p50 / p99 / p50. */
  chunkP50: Record<number, Spread | null>;
  chunkP99: Record<number, Spread | null>;
  ttfbAddedP50: Record<number, Spread | null>;
  cpuPaced: Record<number, Spread | null>;
  calls: number;
  zeroCpu: Spread | null;
  zeroPerSecond: Spread | null;
  memory: MemoryResult | null;
  /** Live V8 heap per parked stream, KB (after forced GCs). */
  heapKBPerStream: number | null;
  failed: number;
  failures: string[];
  runs: { paced: PacedRun[]; zero: ZeroRun | null }[];
}

export interface WorkersRow {
  workers: number;
  perSecond: Spread | null;
  cpuMsPerRequest: Spread | null;
}

export interface SideBySideResult {
  settings: SideBySideSettings;
  /** The relays' order in each repetition. */
  orders: SystemId[][];
  relays: RelaySummary[];
  /** null: the gateway has no WORKERS setting (yet). */
  workers: WorkersRow[] | null;
}

export interface SideBySideOptions {
  agent: Agent;
  mockUrl: string;
  /** Mock − client clock offset (ms), subtracted from every mock timestamp. */
  offsetMs: number;
  settings: SideBySideSettings;
  /** The running relays, one per system the settings name. */
  targets: RelayTarget[];
  /** A process with an inspector for the memory row: fresh in `make bench`, may be reused in a smoke. */
  startForMemory?: (id: SystemId) => Promise<Proc>;
  /** Gateways started with WORKERS=N (null: the gateway does not support WORKERS). */
  workers: { n: number; url: string; pid: number }[] | null;
  log?: (msg: string) => void;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Paced requests through one relay at concurrency c, matched with the mock's trace. */
async function paced(o: SideBySideOptions, t: RelayTarget, c: number, tag: string): Promise<PacedRun> {
  const p = o.settings.profile;
  await configureMock(o.agent, o.mockUrl, { ...mockOptionsFor(p), ...mockTexts(t, p) });
  await setTracing(o.agent, o.mockUrl, true);
  await takeTrace(o.agent, o.mockUrl, o.offsetMs);
  const warmup = Math.max(1, c);
  const requests = Math.max(o.settings.minRequests, o.settings.rounds * c);
  const name = (i: number): string => `${tag}-${i}`;
  // CPU between the first and the last measured start, over the starts in between: the loop is
  // full all that time, so that is the steady-state cost of one request. Counting from the first
  // measured start to the end instead would charge the warm-up round's tail to the measured ones.
  const last = warmup + requests - 1;
  const cpu = { first: NaN, last: NaN };
  // Starts spread over one request's length, the first round discarded (as bench/schedule.ts).
  const runs = await closedLoop({ concurrency: c, total: warmup + requests, staggerMs: p.headersMs + (scheduledFrames(p).at(-1) ?? 0) }, (i) => {
    if (i === warmup) cpu.first = treeCpuMs(t.pid);
    if (i === last) cpu.last = treeCpuMs(t.pid);
    return relayRequest(o.agent, t.url, bodyFor(t, name(i)), { dialect: t.dialect, headers: t.headers });
  });
  const trace = indexTrace(await takeTrace(o.agent, o.mockUrl, o.offsetMs));
  await setTracing(o.agent, o.mockUrl, false);

  const chunk: number[] = [];
  const ttfb: number[] = [];
  const calls: number[] = [];
  const failures: string[] = [];
  runs.slice(warmup).forEach((run, k) => {
    const n = name(k + warmup);
    try {
      const stream = trace.streams.get(`${n}-${t.scenario}`);
      if (!stream) throw new Error(`no mock trace for ${n}`);
      const summaries = trace.calls.get(`${n}-sum`) ?? [];
      const promptSummary = summaries.find((x) => x.kind === "prompt_summary");
      if (t.ours && !promptSummary) throw new Error(`no prompt summary call for ${n}`);
      const a = analyseRelay(run, { stream, ...(promptSummary && { promptSummary }), calls: (trace.calls.get(stream.model)?.length ?? 0) + summaries.length });
      chunk.push(...a.chunkLatency);
      ttfb.push(a.ttfbAdded);
      calls.push(a.calls);
    } catch (e) {
      failures.push(e instanceof Error ? e.message : String(e));
    }
  });
  return {
    concurrency: c,
    requests,
    chunk: summarize(chunk),
    ttfbAdded: summarize(ttfb),
    cpuMsPerRequest: last > warmup ? r3((cpu.last - cpu.first) / (last - warmup)) : NaN,
    calls: summarize(calls)?.p50 ?? NaN,
    failed: failures.length,
    failures: [...new Set(failures)].slice(0, 3),
  };
}

/** A closed loop against the zero-delay mock: requests/s and CPU per request of the relay's processes. */
async function zero(o: SideBySideOptions, t: RelayTarget): Promise<ZeroRun> {
  const p = o.settings.profile;
  await configureMock(o.agent, o.mockUrl, { ...mockOptionsFor(p), ...mockTexts(t, p), latency: ZERO_LATENCY });
  const one = async (): Promise<boolean> => {
    const run = await relayRequest(o.agent, t.url, bodyFor(t, "zero"), { dialect: t.dialect, headers: t.headers });
    return run.complete && run.error === undefined;
  };
  const c = o.settings.zeroConcurrency;
  // A short warm-up so the JIT has seen this path at this rate.
  await closedLoop({ concurrency: c, untilMs: epochNow() + Math.min(1000, o.settings.zeroSeconds * 250) }, one);
  const before = treeCpuMs(t.pid);
  const started = epochNow();
  const rows = await closedLoop({ concurrency: c, untilMs: started + o.settings.zeroSeconds * 1000 }, one);
  const elapsed = epochNow() - started;
  const cpuMs = treeCpuMs(t.pid) - before;
  // The mock logs every call, traced or not: empty it.
  await takeTrace(o.agent, o.mockUrl, 0);
  const completed = rows.filter(Boolean).length;
  return {
    concurrency: c,
    perSecond: r3(completed / (elapsed / 1000)),
    cpuMsPerRequest: r3(cpuMs / Math.max(1, completed)),
    completed,
    failed: rows.length - completed,
  };
}

/** Memory: how to load and park one relay, on whichever process (base URL) the memory run started. */
function parkedRelay(o: SideBySideOptions, t: RelayTarget): ParkedRelay {
  const path = t.url.slice(new URL(t.url).origin.length);
  return {
    mock: mockTexts(t, o.settings.profile),
    warm: (base) => relayRequest(o.agent, base + path, bodyFor(t, "warm"), { dialect: t.dialect, headers: t.headers }),
    park: (base, signal, onOpen) =>
      relayRequest(o.agent, base + path, bodyFor(t, "parked"), { dialect: t.dialect, headers: t.headers, signal, onFirstBytes: onOpen }),
  };
}

/** Every repetition, then memory per relay; medians and spreads per relay. */
export async function runSideBySide(o: SideBySideOptions): Promise<SideBySideResult> {
  const log = o.log ?? (() => undefined);
  const s = o.settings;
  const perRelay = new Map<SystemId, { paced: PacedRun[]; zero: ZeroRun | null }[]>(o.targets.map((t) => [t.id, []]));
  const workerRuns = new Map<number, ZeroRun[]>((o.workers ?? []).map((w) => [w.n, []]));
  const orders: SystemId[][] = [];
  for (let rep = 0; rep < s.reps; rep++) {
    // A, B, C… then …C, B, A: no relay always runs first, or always right after another.
    const order = rep % 2 === 0 ? o.targets : [...o.targets].reverse();
    orders.push(order.map((t) => t.id));
    const runs = new Map(order.map((t) => [t.id, { paced: [] as PacedRun[], zero: null as ZeroRun | null }]));
    for (const c of s.concurrency) {
      for (const t of order) {
        const r = await paced(o, t, c, `sbs-${t.id}-r${rep}-c${c}`);
        runs.get(t.id)?.paced.push(r);
        log(
          `rep ${rep + 1}/${s.reps} c=${c} ${t.id}: chunk p50 ${r.chunk?.p50} p99 ${r.chunk?.p99} ms, ttfb+ ${r.ttfbAdded?.p50} ms, cpu ${r.cpuMsPerRequest} ms/req, failed ${r.failed}/${r.requests}${r.failures[0] ? ` (${r.failures[0]})` : ""}`,
        );
      }
    }
    if (s.zeroSeconds > 0) {
      for (const t of order) {
        const z = await zero(o, t);
        const entry = runs.get(t.id);
        if (entry) entry.zero = z;
        log(`rep ${rep + 1}/${s.reps} zero-delay ${t.id}: ${z.perSecond}/s, cpu ${z.cpuMsPerRequest} ms/req, failed ${z.failed}`);
      }
      for (const w of o.workers ?? []) {
        const z = await zero(o, relayTarget("staged", w.url, w.pid, o.mockUrl));
        workerRuns.get(w.n)?.push(z);
        log(`rep ${rep + 1}/${s.reps} zero-delay staged WORKERS=${w.n}: ${z.perSecond}/s, cpu ${z.cpuMsPerRequest} ms/req`);
      }
    }
    for (const t of o.targets) perRelay.get(t.id)?.push(runs.get(t.id) ?? { paced: [], zero: null });
  }

  const relays: RelaySummary[] = [];
  for (const t of o.targets) {
    let memory: MemoryResult | null = null;
    if (s.memoryStreams > 0 && o.startForMemory) {
      const start = o.startForMemory;
      log(`memory: ${s.memoryStreams} parked streams on ${t.id}`);
      let proc: Proc | undefined;
      memory = await runMemory({
        agent: o.agent,
        mockUrl: o.mockUrl,
        streams: s.memoryStreams,
        // A handful of streams is a smoke test: no need to wait for a steady state.
        ...(s.memoryStreams < 50 && { settleMs: 50, sampleMs: 10, warmRequests: 5 }),
        startGateway: async () => (proc = await start(t.id)),
        relay: parkedRelay(o, t),
      }).catch((e: unknown) => {
        log(`  memory on ${t.id} failed: ${e instanceof Error ? e.message : String(e)}${proc ? `\n${proc.log()}` : ""}`);
        return null;
      });
    }
    const reps = perRelay.get(t.id) ?? [];
    const level = (c: number, pick: (r: PacedRun) => number | undefined): Spread | null =>
      spread(
        reps.map((r) => {
          const run = r.paced.find((x) => x.concurrency === c);
          return (run && pick(run)) ?? NaN;
        }),
      );
    const byLevel = (pick: (r: PacedRun) => number | undefined) => Object.fromEntries(s.concurrency.map((c) => [c, level(c, pick)]));
    const all = reps.flatMap((r) => r.paced);
    const heap =
      memory && memory.heapIdleBytes !== null && memory.heapOpenBytes !== null
        ? (memory.heapOpenBytes - memory.heapIdleBytes) / Math.max(1, memory.open) / 1024
        : null;
    relays.push({
      id: t.id,
      label: SYSTEM_LABELS[t.id],
      chunkP50: byLevel((r) => r.chunk?.p50),
      chunkP99: byLevel((r) => r.chunk?.p99),
      ttfbAddedP50: byLevel((r) => r.ttfbAdded?.p50),
      cpuPaced: byLevel((r) => r.cpuMsPerRequest),
      calls: spread(all.map((r) => r.calls))?.median ?? NaN,
      zeroCpu: spread(reps.map((r) => r.zero?.cpuMsPerRequest ?? NaN)),
      zeroPerSecond: spread(reps.map((r) => r.zero?.perSecond ?? NaN)),
      memory,
      heapKBPerStream: heap === null ? null : r3(heap),
      failed: all.reduce((n, r) => n + r.failed, 0) + reps.reduce((n, r) => n + (r.zero?.failed ?? 0), 0),
      failures: [...new Set(all.flatMap((r) => r.failures))].slice(0, 3),
      runs: reps,
    });
  }
  const workers =
    o.workers === null
      ? null
      : o.workers.map((w) => {
          const runs = workerRuns.get(w.n) ?? [];
          return { workers: w.n, perSecond: spread(runs.map((r) => r.perSecond)), cpuMsPerRequest: spread(runs.map((r) => r.cpuMsPerRequest)) };
        });
  return { settings: s, orders, relays, workers };
}
