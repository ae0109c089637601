/**
 * `make bench`: the gateway and the mock upstream each in their own process on loopback, driven
 * by the load client in this one. Four sections (BENCH_SECTIONS picks them): the side-by-side
 * table against the floor relay and Portkey, start-up beside the same two, progress summaries
 * during a long reasoning phase, and the schedule / throughput / memory sections of the gateway alone. Writes bench/results/*.json,
 * bench/results/schedule.svg and the generated parts of BENCHMARKS.md, and prints the side-by-side
 * table. Sample sizes come from BENCH_* variables (bench/config.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import type { Agent } from "undici";
import { runBaselines, type BaselineResult } from "./baselines.js";
import { runStartup, startupMarkdown } from "./startup.js";
import { closedLoop, createAgent } from "./client.js";
import { epochNow } from "./clock.js";
import { mockOptionsFor, readSettings, ZERO_LATENCY, type Settings, type SystemId } from "./config.js";
import { runMemory, type MemoryResult } from "./memory.js";
import { configureMock, measureHop, measureOffset, takeTrace } from "./mock-control.js";
import {
  cpuModel,
  freePort,
  onFreePort,
  gatewayHasWorkers,
  portkeyVersions,
  spawnFloor,
  spawnGateway,
  spawnMock,
  spawnPortkey,
  waitForChildren,
  type Proc,
} from "./procs.js";
import { mainProfile, summarizeProfile, type ProfileSummary } from "./profile.js";
import { runProgress, type ProgressResult } from "./progress.js";
import { writeReport, writeSection, type BenchResults } from "./report.js";
import { runSchedule, type ScheduleResult } from "./schedule.js";
import { relayTarget, runSideBySide, type SideBySideResult } from "./side-by-side.js";
import { progressMarkdown, sideBySideMarkdown, type RunContext } from "./side-by-side-report.js";
import { measure, runThroughput, stagedOnce, type LoadResult, type ThroughputResult } from "./throughput.js";

const RESULTS = "bench/results";
const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

/** The commit measured, and whether the tree had changes on top of it. */
function gitCommit(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim() !== "";
    return dirty ? `${sha} + uncommitted changes` : sha;
  } catch {
    return "unknown";
  }
}

const round2 = (xs: number[]): number[] => xs.map((x) => Math.round(x * 100) / 100);

interface Shared {
  settings: Settings;
  agent: Agent;
  mock: Proc;
  upstream: string;
  offsetMs: number;
}

/** Floor, Portkey and ours, each in its own process, then the alternating repetitions. */
async function sideBySideSection(x: Shared): Promise<SideBySideResult> {
  const s = x.settings.sideBySide;
  const build = x.settings.gatewayBuild;
  const running: Proc[] = [];
  const keep = (p: Proc): Proc => (running.push(p), p);
  const start = (id: SystemId, nodeArgs: string[] = []): Promise<Proc> =>
    onFreePort((port) => {
      if (id === "floor") return spawnFloor(port, x.upstream, nodeArgs, build);
      if (id === "portkey") return spawnPortkey(port, nodeArgs);
      return spawnGateway(port, x.upstream, {}, nodeArgs, build);
    });
  try {
    const floor = s.systems.includes("floor") ? keep(await start("floor")) : undefined;
    const portkey = s.systems.includes("portkey") ? keep(await start("portkey")) : undefined;
    const ours = s.systems.some((id) => id === "plain" || id === "openai" || id === "staged") ? keep(await start("staged")) : undefined;
    const procFor = (id: SystemId): Proc | undefined => (id === "floor" ? floor : id === "portkey" ? portkey : ours);
    const targets = s.systems.flatMap((id) => {
      const p = procFor(id);
      return p ? [relayTarget(id, p.url, p.pid, x.mock.url)] : [];
    });
    let workers: { n: number; url: string; pid: number }[] | null = null;
    if (gatewayHasWorkers() && s.workers.length > 0) {
      workers = [];
      for (const n of s.workers) {
        const g = keep(await onFreePort((port) => spawnGateway(port, x.upstream, { WORKERS: String(n) }, [], build)));
        const children = await waitForChildren(g.pid, n);
        log(`side by side: gateway with WORKERS=${n} has ${children} child processes`);
        workers.push({ n, url: g.url, pid: g.pid });
      }
    } else {
      log("side by side: the gateway has no WORKERS setting (src/config/schema.ts): the WORKERS rows say not available");
    }
    log(`side by side: ${targets.map((t) => t.id).join(", ")}; ${s.reps} repetitions`);
    return await runSideBySide({
      agent: x.agent,
      mockUrl: x.mock.url,
      offsetMs: x.offsetMs,
      settings: s,
      targets,
      workers,
      // A fresh process per relay: an earlier load leaves a grown heap that would hide the streams' cost.
      startForMemory: (id) => start(id, ["--inspect=127.0.0.1:0"]),
      log: (m) => log(`  ${m}`),
    });
  } finally {
    for (const p of running) await p.stop();
  }
}

/** Two gateways, progress summaries on and off, one long reasoning phase each request. */
async function progressSection(x: Shared): Promise<ProgressResult> {
  const p = x.settings.progress;
  const start = async (seconds: number) =>
    onFreePort((port) => spawnGateway(port, x.upstream, { REASONING_PROGRESS_SECONDS: String(seconds) }, [], x.settings.gatewayBuild));
  const [off, on] = await Promise.all([start(0), start(p.intervalSeconds)]);
  try {
    log(`progress: ${p.concurrency} requests to each gateway, ${p.seconds} s of reasoning`);
    const r = await runProgress({ agent: x.agent, mockUrl: x.mock.url, offsetMs: x.offsetMs, settings: p, profile: x.settings.profile, gateways: { off, on } });
    log(
      `  on: first progress p50 ${r.on.firstProgressMs?.p50 ?? "none"} ms, largest gap p50 ${r.on.largestGapMs?.p50} ms; off: largest gap p50 ${r.off.largestGapMs?.p50} ms`,
    );
    return r;
  } finally {
    await off.stop();
    await on.stop();
  }
}

/** The gateway alone: schedule against the ideal, baselines, throughput, memory (BENCHMARKS.md's results section). */
async function scheduleSection(x: Shared, machine: BenchResults["machine"], startedAt: Date): Promise<BenchResults> {
  const { settings, agent, mock, upstream } = x;
  const gatewayPort = await freePort();
  const build = settings.gatewayBuild;
  const startGateway = (nodeArgs: string[] = []): Promise<Proc> => spawnGateway(gatewayPort, upstream, {}, nodeArgs, build);
  let gateway: Proc | undefined = await startGateway();
  try {
    const clock = await measureOffset(agent, mock.url);
    const hop = { busy: await measureHop(agent, mock.url, 0, 200), afterIdle20ms: await measureHop(agent, mock.url, 20) };
    log(`loopback round trip p50: back to back ${hop.busy?.p50} ms, after 20 ms idle ${hop.afterIdle20ms?.p50} ms`);

    log(`warm-up: ${settings.warmupSeconds} s of zero-delay staged requests (${build} build)`);
    await configureMock(agent, mock.url, { latency: ZERO_LATENCY });
    await closedLoop({ concurrency: 50, untilMs: epochNow() + settings.warmupSeconds * 1000 }, stagedOnce(agent, gateway.url));
    await takeTrace(agent, mock.url, 0);

    const schedule: ScheduleResult[] = [];
    for (const c of settings.concurrency) {
      const requests = Math.max(settings.minRequests, settings.rounds * c);
      log(`schedule: concurrency ${c}, ${requests} requests`);
      const r = await runSchedule({
        agent,
        gatewayUrl: gateway.url,
        mockUrl: mock.url,
        offsetMs: clock.offsetMs,
        profile: settings.profile,
        concurrency: c,
        requests,
        warmup: Math.max(5, c),
        tag: `c${c}`,
        pids: { gateway: gateway.pid, mock: mock.pid },
      });
      log(`  added p50/p99 summary.reasoning ${r.added["summary.reasoning"]?.p50} / ${r.added["summary.reasoning"]?.p99} ms, failed ${r.failed}`);
      schedule.push(r);
    }

    const baselines: BaselineResult[] = [];
    for (const c of settings.baselineConcurrency) {
      log(`baselines: concurrency ${c}`);
      baselines.push(await runBaselines({ agent, mockUrl: mock.url, profile: settings.profile, concurrency: c, requests: Math.max(10, 2 * c) }));
    }

    log(`throughput: ${settings.throughputSeconds} s at concurrency ${settings.throughputConcurrency}, zero-delay mock`);
    const throughput: ThroughputResult = await runThroughput({
      agent,
      gatewayUrl: gateway.url,
      mockUrl: mock.url,
      pids: { gateway: gateway.pid, mock: mock.pid },
      concurrency: settings.throughputConcurrency,
      seconds: settings.throughputSeconds,
    });
    log(
      `  mock alone ${throughput.mockCeiling.perSecond}/s; staged ${throughput.staged.perSecond}/s, gateway ${throughput.staged.cpuMsPerRequest.gateway} ms CPU/request`,
    );

    let profile: ProfileSummary | null = null;
    await gateway.stop();
    gateway = undefined;

    // The same load on WORKERS=2: one port, two worker processes (CPU is not read: it is spread
    // over three processes).
    log(`workers: ${settings.throughputSeconds} s at concurrency ${settings.throughputConcurrency} on WORKERS=2`);
    const two = await spawnGateway(gatewayPort, upstream, { WORKERS: "2" }, [], build);
    let workers: LoadResult;
    try {
      const load = {
        concurrency: settings.throughputConcurrency,
        seconds: settings.throughputSeconds,
        warmupSeconds: Math.min(2, settings.throughputSeconds / 4),
      };
      workers = await measure({ gateway: null, mock: mock.pid }, load, stagedOnce(agent, two.url));
    } finally {
      await two.stop();
    }
    await takeTrace(agent, mock.url, 0);
    log(`  staged ${throughput.staged.perSecond}/s on WORKERS=1, ${workers.perSecond}/s on WORKERS=2`);
    if (settings.cpuProfile) {
      const dir = `${RESULTS}/profile`;
      rmSync(dir, { recursive: true, force: true });
      log("profile: the throughput load once more with the gateway under --cpu-prof");
      const profiled = await startGateway(["--cpu-prof", `--cpu-prof-dir=${dir}`]);
      await measure(
        { gateway: profiled.pid, mock: mock.pid },
        { concurrency: settings.throughputConcurrency, seconds: settings.throughputSeconds, warmupSeconds: 1 },
        stagedOnce(agent, profiled.url),
      );
      await profiled.stop();
      const file = mainProfile(dir);
      profile = file ? summarizeProfile(file) : null;
      for (const e of profile?.top.slice(0, 15) ?? []) log(`  ${e.pct.toFixed(1).padStart(5)} %  ${e.fn}  ${e.where}`);
    }

    const memory: MemoryResult[] = [];
    for (const n of settings.memoryStreams) {
      log(`memory: ${n} open streams on a fresh gateway`);
      // The inspector (loopback, random port) lets the bench force a GC before each RSS reading.
      const m = await runMemory({ agent, mockUrl: mock.url, streams: n, startGateway: () => startGateway(["--inspect=127.0.0.1:0"]) });
      log(`  ${m.open} open, ${(m.bytesPerStream / 1024).toFixed(1)} KB per stream`);
      memory.push(m);
    }

    return {
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings,
      clock,
      hop,
      gatewayBuild: build,
      idealFrom: "mock timestamps",
      schedule,
      baselines,
      throughput,
      workers,
      memory,
      profile,
    };
  } finally {
    await gateway?.stop();
  }
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const startedAt = new Date();
  const loadStart = round2(loadavg());
  const machine = {
    nproc: cpus().length,
    cpu: cpuModel(cpus()[0]?.model ?? "unknown"),
    node: process.version,
    os: `${type()} ${release()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  log(`${machine.nproc} × ${machine.cpu}, node ${machine.node}, load average ${loadStart.join(" / ")}; sections: ${settings.sections.join(", ")}`);
  mkdirSync(RESULTS, { recursive: true });
  const agent = createAgent();
  const mock = await onFreePort((port) => spawnMock(port, mockOptionsFor(settings.profile)));
  try {
    const clock = await measureOffset(agent, mock.url);
    log(`clock offset mock−client ${clock.offsetMs.toFixed(3)} ms (rtt ${clock.rttMs.toFixed(3)} ms)`);
    const shared: Shared = { settings, agent, mock, upstream: `${mock.url}/v1`, offsetMs: clock.offsetMs };

    const context = (): RunContext => ({
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      load: { start: loadStart, end: round2(loadavg()) },
      commit: gitCommit(),
      gatewayBuild: settings.gatewayBuild,
      portkey: portkeyVersions(),
    });
    const sideBySide = settings.sections.includes("side-by-side") ? await sideBySideSection(shared) : null;
    const progress = settings.sections.includes("progress") && settings.progress.seconds > 0 ? await progressSection(shared) : null;
    // Written as soon as they are measured: a later section that fails cannot lose them.
    const ctx = context();
    if (sideBySide || progress) writeFileSync(`${RESULTS}/side-by-side.json`, `${JSON.stringify({ context: ctx, sideBySide, progress }, null, 2)}\n`);
    const printed: string[] = [];
    if (sideBySide) {
      const md = sideBySideMarkdown(sideBySide, ctx);
      writeSection("BENCHMARKS.md", "side-by-side", md);
      printed.push("## Side by side", "", md);
    }
    if (settings.sections.includes("startup")) {
      log(`startup: ${settings.startupReps} repetitions of every case`);
      const startup = await runStartup({ reps: settings.startupReps, distDir: "dist", log });
      writeFileSync(`${RESULTS}/startup.json`, `${JSON.stringify({ context: context(), startup }, null, 2)}\n`);
      const md = startupMarkdown(startup, settings.startupReps);
      writeSection("BENCHMARKS.md", "startup", md);
      printed.push("", "## Start-up", "", md);
    }
    if (progress) {
      const md = progressMarkdown(progress);
      writeSection("BENCHMARKS.md", "progress", md);
      printed.push("", "## Progress summaries during a long reasoning phase", "", md);
    }
    if (settings.sections.includes("schedule")) {
      const results = await scheduleSection(shared, machine, startedAt);
      writeFileSync(`${RESULTS}/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
      writeReport(results, { markdown: "BENCHMARKS.md", svg: `${RESULTS}/schedule.svg` });
    }
    if (printed.length > 0) process.stdout.write(`\n${printed.join("\n")}\n\n`);
    log(`done in ${context().durationSeconds} s: ${RESULTS}/, BENCHMARKS.md`);
  } finally {
    await mock.stop();
    await agent.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
