import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runBaselines } from "../../bench/baselines.js";
import { createAgent } from "../../bench/client.js";
import { readSettings } from "../../bench/config.js";
import { runMemory } from "../../bench/memory.js";
import { startBenchMock, type BenchMock } from "../../bench/mock.js";
import { measureHop, measureOffset } from "../../bench/mock-control.js";
import { resultsMarkdown, type BenchResults } from "../../bench/report.js";
import { runSchedule } from "../../bench/schedule.js";
import { runStartup, startupMarkdown } from "../../bench/startup.js";
import { scheduleSvg } from "../../bench/svg.js";
import { measure, stagedOnce } from "../../bench/throughput.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";

/**
 * Keeps `make bench` from rotting: every measuring function once, at a tiny scale, with the mock
 * and the gateway in this process (the real bench spawns both). Asserts shape, not speed.
 */
const settings = readSettings({});
const profile = { ...settings.profile, headersMs: 2, promptSummaryMs: 5, reasoningSummaryMs: 5, reasoningChunkMs: 1, answerChunkMs: 1 };
const open: { mock?: BenchMock; gateway?: RunningGateway } = {};
const agent = createAgent();

afterAll(() => agent.close());
afterEach(async () => {
  await open.gateway?.close();
  await open.mock?.close();
});

describe("bench smoke", () => {
  it("measures the schedule, the baselines, throughput and memory on a tiny scale", async () => {
    const mock = (open.mock = await startBenchMock({}));
    const mockUrl = `http://127.0.0.1:${mock.port}`;
    const gateway = (open.gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl }));
    const pids = { gateway: process.pid, mock: process.pid };
    const clock = await measureOffset(agent, mockUrl, 3);
    // One process, one clock: the true offset is 0, and an NTP-style estimate is off by at most half
    // its best round trip (which, on a loaded machine, can be several ms).
    expect(Math.abs(clock.offsetMs)).toBeLessThanOrEqual(clock.rttMs / 2 + 0.01);

    const schedule = await runSchedule({
      agent,
      gatewayUrl: gateway.url,
      mockUrl,
      offsetMs: clock.offsetMs,
      profile,
      concurrency: 2,
      requests: 4,
      warmup: 2,
      tag: "smoke",
      pids,
    });
    expect(schedule.failures).toEqual([]);
    expect(schedule.added["summary.prompt"]?.n).toBe(4);
    expect(schedule.added["output.done"]?.n).toBe(4);
    expect(schedule.chunkLatency?.n).toBeGreaterThan(0);
    expect(schedule.ideal["summary.reasoning"]!.p50).toBeGreaterThanOrEqual(profile.reasoningSummaryMs);

    const baseline = await runBaselines({ agent, mockUrl, profile, concurrency: 2, requests: 2 });
    expect(baseline.sequential.complete!.p50).toBeGreaterThan(baseline.sequential.promptSummary!.p50);
    expect(baseline.parallel.complete?.n).toBe(2);

    const load = await measure(pids, { concurrency: 2, seconds: 0.4, warmupSeconds: 0.1 }, stagedOnce(agent, gateway.url));
    expect(load.completed).toBeGreaterThan(0);
    expect(load.failed).toBe(0);

    const memory = await runMemory({
      agent,
      mockUrl,
      streams: 4,
      settleMs: 50,
      startGateway: async () => {
        const g = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl });
        return { pid: process.pid, url: g.url, log: () => "", stop: () => g.close() };
      },
    });
    expect(memory.open).toBe(4);

    const hop = await measureHop(agent, mockUrl, 0, 3);
    const results: BenchResults = {
      startedAt: new Date().toISOString(),
      durationSeconds: 1,
      machine: { nproc: 2, cpu: "test", node: process.version, os: "test", memoryGiB: 1 },
      settings,
      clock,
      hop: { busy: hop, afterIdle20ms: hop },
      gatewayBuild: "tsx",
      idealFrom: "mock timestamps",
      schedule: [schedule],
      baselines: [baseline],
      throughput: { mockCeiling: load, staged: load, unloaded: load },
      workers: load,
      memory: [memory],
      profile: null,
    };
    expect(resultsMarkdown(results)).toContain("### Targets");
    expect(resultsMarkdown(results)).toMatch(/\| `WORKERS=2` \(node:cluster, one port\) \| 2 \| \d+ \|/);
    expect(scheduleSvg([schedule])).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  }, 20_000);

  it("times start-up: the floor's first answer, and ours before and after its request log opens, in a new and an existing DATA_DIR", async () => {
    // The compiled dist/ the suite's global set-up built; Portkey's start is in bench-side-by-side.test.ts.
    const r = await runStartup({ reps: 1, cases: ["floor", "ours-no-log", "ours-new-data-dir", "ours-existing-data-dir"] });
    expect(Object.keys(r)).toEqual(["floor", "ours-no-log", "ours-new-data-dir", "ours-existing-data-dir"]);
    for (const c of Object.values(r)) {
      expect(c.firstAnswerMs?.n).toBe(1);
      expect(c.cpuMs!.p50).toBeGreaterThan(0);
    }
    expect(r.floor!.logOpenMs).toBeNull();
    expect(r["ours-no-log"]!.logOpenMs).toBeNull();
    // Ours answers first and opens its log after: the order, never a duration.
    for (const c of ["ours-new-data-dir", "ours-existing-data-dir"] as const) expect(r[c]!.logOpenMs!.p50).toBeGreaterThanOrEqual(r[c]!.firstAnswerMs!.p50);
    const md = startupMarkdown(r, 1);
    expect(md).toMatch(/\| ours, embedded log, empty `DATA_DIR` \(first start\) \| \d+ \(\d+–\d+\) \| \d+ \(\d+–\d+\) \| \d+ \(\d+–\d+\) \|/);
    expect(md).not.toContain("Portkey");
  }, 120_000);
});
