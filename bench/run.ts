/**
 * `make bench`: the gateway and the mock upstream each in their own process on loopback, driven
 * by the load client in this one. Writes bench/results/latest.json, bench/results/schedule.svg and
 * the results section of BENCHMARKS.md. Sample sizes come from BENCH_* variables (bench/config.ts).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, release, totalmem, type } from "node:os";
import { runBaselines, type BaselineResult } from "./baselines.js";
import { closedLoop, createAgent } from "./client.js";
import { epochNow } from "./clock.js";
import { mockOptionsFor, readSettings, ZERO_LATENCY } from "./config.js";
import { runMemory, type MemoryResult } from "./memory.js";
import { configureMock, measureHop, measureOffset, takeTrace } from "./mock-control.js";
import { spawnGateway, spawnMock, type Proc } from "./procs.js";
import { mainProfile, summarizeProfile, type ProfileSummary } from "./profile.js";
import { writeReport, type BenchResults } from "./report.js";
import { runSchedule, type ScheduleResult } from "./schedule.js";
import { measure, runThroughput, stagedOnce, type LoadResult, type ThroughputResult } from "./throughput.js";

const RESULTS = "bench/results";
const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

/** A port nobody uses right now (the OS picks it; a tiny race is acceptable for a bench). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const startedAt = new Date();
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    node: process.version,
    os: `${type()} ${release()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  log(`${machine.nproc} × ${machine.cpu}, node ${machine.node}`);
  mkdirSync(RESULTS, { recursive: true });
  const agent = createAgent();
  const mock = await spawnMock(await freePort(), mockOptionsFor(settings.profile));
  const upstream = `${mock.url}/v1`;
  const gatewayPort = await freePort();
  const build = settings.gatewayBuild;
  const startGateway = (nodeArgs: string[] = []): Promise<Proc> => spawnGateway(gatewayPort, upstream, {}, nodeArgs, build);
  let gateway: Proc | undefined = await startGateway();
  try {
    const clock = await measureOffset(agent, mock.url);
    log(`clock offset mock−client ${clock.offsetMs.toFixed(3)} ms (rtt ${clock.rttMs.toFixed(3)} ms)`);
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
      const r = await runSchedule({ agent, gatewayUrl: gateway.url, mockUrl: mock.url, offsetMs: clock.offsetMs, profile: settings.profile, concurrency: c, requests, warmup: Math.max(5, c), tag: `c${c}`, pids: { gateway: gateway.pid, mock: mock.pid } });
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
      agent, gatewayUrl: gateway.url, mockUrl: mock.url, pids: { gateway: gateway.pid, mock: mock.pid },
      concurrency: settings.throughputConcurrency, seconds: settings.throughputSeconds,
    });
    log(`  mock alone ${throughput.mockCeiling.perSecond}/s; staged ${throughput.staged.perSecond}/s, gateway ${throughput.staged.cpuMsPerRequest.gateway} ms CPU/request`);

    let profile: ProfileSummary | null = null;
    await gateway.stop();
    gateway = undefined;

    // The same load on WORKERS=2: one port, two worker processes (CPU is not read: it is spread
    // over three processes).
    log(`workers: ${settings.throughputSeconds} s at concurrency ${settings.throughputConcurrency} on WORKERS=2`);
    const two = await spawnGateway(gatewayPort, upstream, { WORKERS: "2" }, [], build);
    let workers: LoadResult;
    try {
      const load = { concurrency: settings.throughputConcurrency, seconds: settings.throughputSeconds, warmupSeconds: Math.min(2, settings.throughputSeconds / 4) };
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
      await measure({ gateway: profiled.pid, mock: mock.pid }, { concurrency: settings.throughputConcurrency, seconds: settings.throughputSeconds, warmupSeconds: 1 }, stagedOnce(agent, profiled.url));
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

    const results: BenchResults = {
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
    writeFileSync(`${RESULTS}/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
    writeReport(results, { markdown: "BENCHMARKS.md", svg: `${RESULTS}/schedule.svg` });
    log(`done in ${results.durationSeconds} s: ${RESULTS}/latest.json, ${RESULTS}/schedule.svg, BENCHMARKS.md`);
  } finally {
    await gateway?.stop();
    await mock.stop();
    await agent.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
