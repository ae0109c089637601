import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { EVENT_KEYS } from "./analyse.js";
import type { BaselineResult, MomentStats } from "./baselines.js";
import type { Settings } from "./config.js";
import type { MemoryResult } from "./memory.js";
import type { ProfileSummary } from "./profile.js";
import type { ScheduleResult } from "./schedule.js";
import type { Summary } from "./stats.js";
import { scheduleSvg } from "./svg.js";
import type { LoadResult, ThroughputResult } from "./throughput.js";

export interface BenchResults {
  startedAt: string;
  durationSeconds: number;
  machine: { nproc: number; cpu: string; node: string; os: string; memoryGiB: number };
  settings: Settings;
  clock: { offsetMs: number; rttMs: number };
  hop: { busy: Summary | null; afterIdle20ms: Summary | null };
  gatewayBuild: string;
  idealFrom: string;
  schedule: ScheduleResult[];
  baselines: BaselineResult[];
  throughput: ThroughputResult;
  /** The throughput load on WORKERS=2 (compare with `throughput.staged`, on one process). */
  workers: LoadResult | null;
  memory: MemoryResult[];
  profile: ProfileSummary | null;
}

/** Everything between these markers in BENCHMARKS.md is rewritten; the rest is prose kept by hand. */
export const START = "<!-- bench:results:start -->";
export const END = "<!-- bench:results:end -->";

const f = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || Number.isNaN(x) ? "–" : x.toFixed(digits));
const pcts = (s: Summary | null): string => (s ? `${f(s.p50)} | ${f(s.p95)} | ${f(s.p99)}` : "– | – | –");
const row = (cells: (string | number)[]): string => `| ${cells.join(" | ")} |`;
const yes = (ok: boolean): string => (ok ? "met" : "**not met**");

function scheduleTable(levels: ScheduleResult[]): string[] {
  const out = [
    row(["event", "concurrency", "added p50", "p95", "p99", "vs configured delays p50", "p99", "n"]),
    row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
  ];
  for (const key of EVENT_KEYS) {
    for (const l of levels) {
      const s = l.added[key];
      const c = l.addedConfig[key];
      out.push(row([`\`${key}\``, l.concurrency, pcts(s), f(c?.p50), f(c?.p99), s?.n ?? 0]));
    }
  }
  return out;
}

function wireTable(r: BenchResults): string[] {
  const out = [
    row([
      "concurrency",
      "per live chunk p50",
      "p95",
      "p99",
      "chunks",
      "TTFB p50",
      "TTFB p99",
      "mock's own lateness p50 / p99",
      "cores used gw / mock",
      "failed",
    ]),
    row(["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
  ];
  for (const l of r.schedule) {
    const cores = l.coreShare ? `${f(l.coreShare.gateway)} / ${f(l.coreShare.mock)}` : "–";
    out.push(
      row([
        l.concurrency,
        pcts(l.chunkLatency),
        l.chunkLatency?.n ?? 0,
        f(l.ttfb?.p50),
        f(l.ttfb?.p99),
        `${f(l.mockLateness?.p50)} / ${f(l.mockLateness?.p99)}`,
        cores,
        `${l.failed} / ${l.requests}`,
      ]),
    );
  }
  return out;
}

function baselineTable(r: BenchResults): string[] {
  const out = [
    row(["concurrency", "client", "prompt summary", "reasoning summary", "first answer text", "complete"]),
    row(["---:", "---", "---:", "---:", "---:", "---:"]),
  ];
  const cell = (s: Summary | null): string => (s ? `${f(s.p50, 0)} (p95 ${f(s.p95, 0)})` : "–");
  const line = (c: number, name: string, m: MomentStats): string =>
    row([c, name, cell(m.promptSummary), cell(m.reasoningSummary), cell(m.firstAnswer), cell(m.complete)]);
  for (const b of r.baselines) {
    const g = r.schedule.find((s) => s.concurrency === b.concurrency);
    if (g) {
      out.push(
        line(b.concurrency, "**gateway** (staged)", {
          promptSummary: g.actual["summary.prompt"],
          reasoningSummary: g.actual["summary.reasoning"],
          firstAnswer: g.actual["output.delta (first)"],
          complete: g.actual["output.done"],
        }),
      );
    }
    out.push(line(b.concurrency, "sequential: summary → stream → summary", b.sequential));
    out.push(line(b.concurrency, "naive parallel: summary ‖ stream → summary", b.parallel));
  }
  return out;
}

function throughputTable(t: ThroughputResult): string[] {
  const { mockCeiling: m, staged: s, unloaded: u } = t;
  return [
    row([
      "run",
      "concurrency",
      "completed/s",
      "gateway CPU ms/req",
      "mock CPU ms/req",
      "load client CPU ms/req",
      "cores used (gw / mock / client)",
      "latency p50 / p99 ms",
      "failed",
    ]),
    row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
    row([
      "mock alone: streamed completions",
      m.concurrency,
      f(m.perSecond, 0),
      "–",
      f(m.cpuMsPerRequest.mock, 3),
      f(m.cpuMsPerRequest.bench, 3),
      `– / ${f(m.coreShare.mock)} / ${f(m.coreShare.bench)}`,
      `${f(m.latency?.p50)} / ${f(m.latency?.p99)}`,
      m.failed,
    ]),
    row([
      "staged through the gateway",
      s.concurrency,
      f(s.perSecond, 0),
      f(s.cpuMsPerRequest.gateway, 3),
      f(s.cpuMsPerRequest.mock, 3),
      f(s.cpuMsPerRequest.bench, 3),
      `${f(s.coreShare.gateway)} / ${f(s.coreShare.mock)} / ${f(s.coreShare.bench)}`,
      `${f(s.latency?.p50)} / ${f(s.latency?.p99)}`,
      s.failed,
    ]),
    row([
      "staged, one at a time",
      u.concurrency,
      f(u.perSecond, 0),
      f(u.cpuMsPerRequest.gateway, 3),
      f(u.cpuMsPerRequest.mock, 3),
      f(u.cpuMsPerRequest.bench, 3),
      `${f(u.coreShare.gateway)} / ${f(u.coreShare.mock)} / ${f(u.coreShare.bench)}`,
      `${f(u.latency?.p50)} / ${f(u.latency?.p99)}`,
      u.failed,
    ]),
  ];
}

function workersTable(r: BenchResults): string[] {
  if (!r.workers) return ["(not measured in this run)"];
  const line = (name: string, l: LoadResult) => row([name, l.concurrency, f(l.perSecond, 0), `${f(l.latency?.p50)} / ${f(l.latency?.p99)}`, l.failed]);
  return [
    row(["gateway", "concurrency", "staged requests/s", "latency p50 / p99 ms", "failed"]),
    row(["---", "---:", "---:", "---:", "---:"]),
    line("`WORKERS=1` (one process)", r.throughput.staged),
    line("`WORKERS=2` (node:cluster, one port)", r.workers),
  ];
}

function memoryTable(ms: MemoryResult[]): string[] {
  const mb = (b: number | null): string => (b === null ? "–" : (b / 2 ** 20).toFixed(1));
  const out = [
    row(["open streams", "reached summary.prompt", "RSS idle MB", "RSS open MB", "KB per stream (RSS)", "KB per stream (live V8 heap)", "time to open s"]),
    row(["---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
  ];
  for (const m of ms) {
    const heap = m.heapIdleBytes !== null && m.heapOpenBytes !== null ? (m.heapOpenBytes - m.heapIdleBytes) / Math.max(1, m.open) / 1024 : null;
    out.push(row([m.streams, m.open, mb(m.rssIdleBytes), mb(m.rssOpenBytes), f(m.bytesPerStream / 1024, 1), f(heap, 1), f(m.openSeconds)]));
  }
  return out;
}

function targets(r: BenchResults): string[] {
  const top = r.schedule.reduce<ScheduleResult | undefined>((a, b) => (a && a.concurrency > b.concurrency ? a : b), undefined);
  const p50 = top ? Math.max(...EVENT_KEYS.map((k) => top.added[k]?.p50 ?? Infinity)) : NaN;
  const p99 = top ? Math.max(...EVENT_KEYS.map((k) => top.added[k]?.p99 ?? Infinity)) : NaN;
  const perStream = Math.max(...r.memory.map((m) => m.bytesPerStream)) / 1024;
  return [
    row(["target", "measured", ""]),
    row(["---", "---:", "---"]),
    row([`added delay p50 ≤ 1 ms at concurrency ${top?.concurrency ?? "–"} (worst event)`, `${f(p50)} ms`, yes(p50 <= 1)]),
    row([`added delay p99 ≤ 5 ms at concurrency ${top?.concurrency ?? "–"} (worst event)`, `${f(p99)} ms`, yes(p99 <= 5)]),
    row(["≥ 1,000 staged requests/s, zero-delay mock", `${f(r.throughput.staged.perSecond, 0)} /s`, yes(r.throughput.staged.perSecond >= 1000)]),
    row(["≤ 50 KB per open stream (worst N)", `${f(perStream, 1)} KB`, yes(perStream <= 50)]),
  ];
}

function profileTable(p: ProfileSummary | null): string[] {
  if (!p) return ["(no profile in this run: `BENCH_CPU_PROF=1 make bench` adds one)"];
  const out = [
    `Sampled ${f(p.sampledMs / 1000, 1)} s, of which idle ${f(p.idleMs / 1000, 1)} s.`,
    "",
    row(["self %", "function", "where"]),
    row(["---:", "---", "---"]),
  ];
  for (const e of p.top.slice(0, 15)) out.push(row([f(e.pct, 1), `\`${e.fn}\``, `\`${e.where}\``]));
  return out;
}

/** The generated part of BENCHMARKS.md. */
export function resultsMarkdown(r: BenchResults): string {
  const m = r.machine;
  const p = r.settings.profile;
  return [
    `Run of ${r.startedAt} (${r.durationSeconds} s): **${m.nproc} × ${m.cpu}**, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; ` +
      `gateway from the \`${r.gatewayBuild}\` build. The load client, the gateway and the mock share these ${m.nproc} cores.`,
    `Machine floor: one loopback HTTP round trip to the mock takes p50 ${f(r.hop.busy?.p50, 3)} ms back to back and ` +
      `p50 ${f(r.hop.afterIdle20ms?.p50, 3)} ms (p99 ${f(r.hop.afterIdle20ms?.p99, 3)} ms) after 20 ms idle; every staged event crosses four such hops.`,
    `Mock delays: headers ${p.headersMs} ms, prompt summary ${p.promptSummaryMs} ms, reasoning summary ${p.reasoningSummaryMs} ms, ` +
      `one ${p.chunkChars}-character chunk every ${p.reasoningChunkMs} ms (reasoning) / ${p.answerChunkMs} ms (answer). ` +
      `Ideal from the ${r.idealFrom}; clock offset mock − client ${f(r.clock.offsetMs, 3)} ms (best round trip ${f(r.clock.rttMs, 3)} ms).`,
    "",
    "### Targets",
    "",
    ...targets(r),
    "",
    "### 1. Schedule: added delay per event (ms)",
    "",
    "![added delay per event](bench/results/schedule.svg)",
    "",
    ...scheduleTable(r.schedule),
    "",
    "### 5. On the wire: live answer chunks and time to first byte (ms)",
    "",
    ...wireTable(r),
    "",
    `Zero-delay mock, one request at a time: TTFB p50 ${f(r.throughput.unloaded.ttfb?.p50)} ms, p99 ${f(r.throughput.unloaded.ttfb?.p99)} ms; whole staged request p50 ${f(r.throughput.unloaded.latency?.p50)} ms.`,
    "",
    "### 2. Against doing it yourself (ms after the request, p50 (p95))",
    "",
    ...baselineTable(r),
    "",
    "### 3. Throughput and CPU (zero-delay mock)",
    "",
    ...throughputTable(r.throughput),
    "",
    "### 3b. All cores: `WORKERS=1` against `WORKERS=2` (zero-delay mock, same load)",
    "",
    `The load client and the mock share the same ${m.nproc} cores, so a second worker can only gain what they leave free.`,
    "",
    ...workersTable(r),
    "",
    "### 4. Memory: streams parked in reasoning",
    "",
    ...memoryTable(r.memory),
    "",
    "### Profile: top self time in the gateway under the throughput load",
    "",
    ...profileTable(r.profile),
  ].join("\n");
}

/** Write the SVG and replace the results section of BENCHMARKS.md (created if missing). */
export function writeReport(r: BenchResults, paths: { markdown: string; svg: string }): void {
  writeFileSync(paths.svg, scheduleSvg(r.schedule));
  const section = `${START}\n${resultsMarkdown(r)}\n${END}`;
  const current = existsSync(paths.markdown) ? readFileSync(paths.markdown, "utf8") : `# Benchmarks\n\n${START}\n${END}\n`;
  const from = current.indexOf(START);
  const to = current.indexOf(END);
  const next = from >= 0 && to > from ? current.slice(0, from) + section + current.slice(to + END.length) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(paths.markdown, next);
}

/**
 * Replace the generated block `name` of a markdown file (between `<!-- bench:NAME:start -->` and
 * `<!-- bench:NAME:end -->`); a file without the block gets it right under its title.
 */
export function writeSection(path: string, name: string, content: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${content}\n${end}`;
  const current = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from >= 0 && to > from) return writeFileSync(path, current.slice(0, from) + block + current.slice(to + end.length));
  const title = current.indexOf("\n") + 1;
  writeFileSync(path, `${current.slice(0, title)}\n${block}\n${current.slice(title)}`);
}
