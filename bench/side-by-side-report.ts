import type { SystemId } from "./config.js";
import type { ProgressResult, ProgressRun } from "./progress.js";
import type { RelaySummary, SideBySideResult, Spread } from "./side-by-side.js";
import type { Summary } from "./stats.js";

/** Where and when the side-by-side ran: BENCHMARKS.md shows it above the table. */
export interface RunContext {
  startedAt: string;
  durationSeconds: number;
  /** CPU model from /proc/cpuinfo, cores, memory. */
  machine: { nproc: number; cpu: string; node: string; os: string; memoryGiB: number };
  /** 1, 5 and 15 minute load averages when the run started and when it ended. */
  load: { start: number[]; end: number[] };
  commit: string;
  gatewayBuild: string;
  portkey: { gateway: string; nodeServer: string; hono: string } | null;
}

const OURS: SystemId[] = ["plain", "openai", "staged"];
const f = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits));
const row = (cells: (string | number)[]): string => `| ${cells.join(" | ")} |`;
const cell = (s: Spread | null | undefined, digits = 2): string => (s ? `${f(s.median, digits)} (${f(s.min, digits)}–${f(s.max, digits)})` : "–");
const verdict = (ok: boolean): string => (ok ? "met" : "**not met**");

/** One row of the main table: a label and, per relay, the figure (or "–"). */
interface Metric {
  label: string;
  pick: (r: RelaySummary) => Spread | null | undefined;
  digits?: number;
  /** Shown in the ratio table (ours ÷ floor, ours ÷ Portkey). */
  ratio?: boolean;
}

function metrics(r: SideBySideResult): Metric[] {
  const levels = r.settings.concurrency;
  const chunkMs = r.settings.profile.answerChunkMs;
  const out: Metric[] = [];
  for (const c of levels) out.push({ label: `added per chunk p50, c=${c} (ms)`, pick: (x) => x.chunkP50[c], ratio: true });
  for (const c of levels) out.push({ label: `added per chunk p99, c=${c} (ms)`, pick: (x) => x.chunkP99[c], ratio: true });
  for (const c of levels) out.push({ label: `time to first byte added p50, c=${c} (ms)`, pick: (x) => x.ttfbAddedP50[c], ratio: true });
  out.push({ label: `CPU per request, zero-delay upstream, c=${r.settings.zeroConcurrency} (ms)`, pick: (x) => x.zeroCpu, digits: 3, ratio: true });
  // /proc counts CPU in 10 ms ticks: a level with a handful of requests (c=1) cannot be read per request.
  for (const c of levels.filter((c) => c > 1))
    out.push({ label: `CPU per request, ${chunkMs} ms chunks, c=${c} (ms)`, pick: (x) => x.cpuPaced[c], digits: 3, ratio: true });
  out.push({ label: `requests/s, zero-delay upstream, c=${r.settings.zeroConcurrency}`, pick: (x) => x.zeroPerSecond, digits: 0, ratio: true });
  out.push({ label: "live heap per parked stream (KB)", pick: (x) => single(x.heapKBPerStream), digits: 1, ratio: true });
  return out;
}

const single = (v: number | null): Spread | null => (v === null || !Number.isFinite(v) ? null : { median: v, min: v, max: v, values: [v] });
const byId = (r: SideBySideResult, id: SystemId): RelaySummary | undefined => r.relays.find((x) => x.id === id);

function mainTable(r: SideBySideResult): string[] {
  const out = [row(["per request / per chunk", ...r.relays.map((x) => x.label)]), row(["---", ...r.relays.map(() => "---:")])];
  for (const m of metrics(r)) out.push(row([m.label, ...r.relays.map((x) => cell(m.pick(x), m.digits))]));
  out.push(row(["upstream calls per request", ...r.relays.map((x) => f(x.calls, 0))]));
  for (const w of r.workers ?? []) {
    out.push(row([`staged requests/s, zero delay, WORKERS=${w.workers}`, ...r.relays.map((x) => (x.id === "staged" ? cell(w.perSecond, 0) : "–"))]));
  }
  if (r.workers === null) {
    for (const n of r.settings.workers)
      out.push(row([`staged requests/s, zero delay, WORKERS=${n}`, ...r.relays.map((x) => (x.id === "staged" ? "not available" : "–"))]));
  }
  out.push(row(["failed requests (all repetitions)", ...r.relays.map((x) => String(x.failed))]));
  return out;
}

function ratioTable(r: SideBySideResult): string[] {
  const floor = byId(r, "floor");
  const portkey = byId(r, "portkey");
  const ours = r.relays.filter((x) => OURS.includes(x.id));
  if (ours.length === 0 || (!floor && !portkey)) return [];
  const ratio = (a: Spread | null | undefined, b: Spread | null | undefined): string => (a && b && b.median > 0 ? `${f(a.median / b.median)}×` : "–");
  const out = [row(["ours ÷ floor · ours ÷ Portkey", ...ours.map((x) => x.label)]), row(["---", ...ours.map(() => "---:")])];
  for (const m of metrics(r).filter((m) => m.ratio)) {
    out.push(row([m.label, ...ours.map((x) => `${ratio(m.pick(x), floor && m.pick(floor))} · ${ratio(m.pick(x), portkey && m.pick(portkey))}`)]));
  }
  return out;
}

/** One target checked for one of our relays: the figure, and met or not. */
interface Check {
  label: string;
  judge: (x: RelaySummary) => string;
}

function checks(r: SideBySideResult): Check[] {
  const floor = byId(r, "floor");
  const levels = r.settings.concurrency;
  const c1 = Math.min(...levels);
  const noFloor = "– (no floor in this run)";
  const vsFloor =
    (pick: (x: RelaySummary) => Spread | null | undefined, factor: number, perCall = false) =>
    (x: RelaySummary): string => {
      const ours = pick(x)?.median;
      const base = floor ? pick(floor)?.median : undefined;
      if (ours === undefined || !Number.isFinite(ours)) return "–";
      if (base === undefined || !(base > 0)) return noFloor;
      // CPU is per upstream call: a staged request makes three, the floor's one.
      const value = perCall ? ours / Math.max(1, x.calls) : ours;
      const times = value / base;
      return `${f(value, perCall ? 3 : 2)} ms${perCall ? "/call" : ""} = ${f(times)}× floor: ${verdict(times <= factor)}`;
    };
  const out: Check[] = [];
  for (const c of levels) out.push({ label: `added per chunk p50 ≤ 1.2× floor, c=${c}`, judge: vsFloor((x) => x.chunkP50[c], 1.2) });
  for (const c of levels) out.push({ label: `added per chunk p99 ≤ 2× floor, c=${c}`, judge: vsFloor((x) => x.chunkP99[c], 2) });
  out.push({
    label: `time to first byte added ≤ 1 ms, c=${c1}`,
    judge: (x) => {
      const v = x.ttfbAddedP50[c1]?.median;
      return v === undefined || !Number.isFinite(v) ? "–" : `${f(v)} ms: ${verdict(v <= 1)}`;
    },
  });
  out.push({ label: "CPU per upstream call ≤ 2× floor's, zero delay", judge: vsFloor((x) => x.zeroCpu, 2, true) });
  for (const c of levels.filter((c) => c === 50)) {
    out.push({
      label: `CPU per upstream call ≤ 2× floor's, ${r.settings.profile.answerChunkMs} ms chunks, c=${c}`,
      judge: vsFloor((x) => x.cpuPaced[c], 2, true),
    });
  }
  out.push({
    label: "≥ 1,000 staged requests/s, zero delay",
    judge: (x) => {
      const v = x.zeroPerSecond?.median;
      return x.id !== "staged" || v === undefined ? "–" : `${f(v, 0)} /s: ${verdict(v >= 1000)}`;
    },
  });
  out.push({
    label: "≤ 25 KB live heap per parked stream",
    judge: (x) => (x.heapKBPerStream === null ? "–" : `${f(x.heapKBPerStream, 1)} KB: ${verdict(x.heapKBPerStream <= 25)}`),
  });
  return out;
}

function targetsTable(r: SideBySideResult): string[] {
  const ours = r.relays.filter((x) => OURS.includes(x.id));
  if (ours.length === 0) return ["(none of our relays ran)"];
  const out = [row(["target", ...ours.map((x) => x.label)]), row(["---", ...ours.map(() => "---")])];
  for (const c of checks(r)) out.push(row([c.label, ...ours.map((x) => c.judge(x))]));
  return out;
}

const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(" / ");

/** The side-by-side part of BENCHMARKS.md (and of what `make bench` prints). */
export function sideBySideMarkdown(r: SideBySideResult, ctx: RunContext): string {
  const s = r.settings;
  const p = s.profile;
  const m = ctx.machine;
  const pk = ctx.portkey
    ? `Portkey is \`@portkey-ai/gateway\` ${ctx.portkey.gateway} with \`@hono/node-server\` ${ctx.portkey.nodeServer} and hono ${ctx.portkey.hono} (bench/portkey/package.json says why those).`
    : "Portkey was not installed.";
  const failures = r.relays.filter((x) => x.failures.length > 0).map((x) => `${x.label}: ${x.failures.join("; ")}`);
  return [
    `Run of ${ctx.startedAt} (${ctx.durationSeconds} s) at commit \`${ctx.commit}\`: **${m.nproc} × ${m.cpu}**, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; ours from the \`${ctx.gatewayBuild}\` build. ` +
      `Load average (1 / 5 / 15 min) ${load(ctx.load.start)} at the start, ${load(ctx.load.end)} at the end — the load client, the mock and every relay share these ${m.nproc} cores with whatever else runs.`,
    `Each figure: the median of ${s.reps} repetitions (min–max across them), the relays' order reversed every other repetition. ` +
      `Mock: headers after ${p.headersMs} ms, summaries after ${p.promptSummaryMs} / ${p.reasoningSummaryMs} ms, one ${p.chunkChars}-character chunk every ${p.answerChunkMs} ms; ` +
      `the plain relays stream an answer as long as the staged one's tagged reasoning and answer together. ${pk}`,
    "",
    ...mainTable(r),
    "",
    "Ratios of the medians:",
    "",
    ...ratioTable(r),
    "",
    "#### Targets",
    "",
    ...targetsTable(r),
    ...(failures.length > 0 ? ["", `Failures: ${failures.join(" · ")}`] : []),
  ].join("\n");
}

const ms = (s: Summary | null, digits = 0): string => (s ? `${f(s.p50, digits)} (max ${f(s.max, digits)})` : "–");

function progressRow(label: string, r: ProgressRun): string {
  const first = r.progressEvents && r.progressEvents.max > 0 ? `${ms(r.firstProgressMs)} ms` : "no progress events";
  return row([
    label,
    `${f(r.reasoningSeconds?.p50, 1)} s`,
    first,
    f(r.progressEvents?.p50, 0),
    `${ms(r.largestGapMs)} ms`,
    f(r.summaryCalls?.mean, 1),
    f(r.summaryTokens?.mean, 0),
    f(r.cpuMsPerRequest, 1),
    `${r.failed} / ${r.requests}`,
  ]);
}

/** Issue 12's figures: progress summaries on against off. */
export function progressMarkdown(r: ProgressResult): string {
  const s = r.settings;
  const none = !(r.on.progressEvents && r.on.progressEvents.max > 0);
  return [
    `${s.concurrency} requests at once to each gateway; reasoning of ${s.seconds} s (one 12-character chunk every ${s.chunkMs} ms, in paragraphs). Per request p50 (max).`,
    "",
    row([
      "gateway",
      "reasoning",
      "reasoning start → first `summary.progress`",
      "progress events",
      "largest silent gap during reasoning",
      "summary calls",
      "summary tokens",
      "gateway CPU ms/req",
      "failed",
    ]),
    row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
    progressRow(`progress on (REASONING_PROGRESS_SECONDS=${s.intervalSeconds})`, r.on),
    progressRow("progress off (REASONING_PROGRESS_SECONDS=0)", r.off),
    "",
    none
      ? "No progress events: this gateway does not emit `summary.progress` (yet); the other figures are what it does today."
      : `Progress summaries cost ${f(r.extraCallsPerMinute, 1)} extra summary calls and ${f(r.extraTokensPerMinute, 0)} summary tokens per minute of reasoning, and ${f(r.addedCpuMsPerRequest, 1)} ms of gateway CPU per request.`,
    ...(r.on.failures.length + r.off.failures.length > 0 ? ["", `Failures: ${[...r.on.failures, ...r.off.failures].join(" · ")}`] : []),
  ].join("\n");
}
