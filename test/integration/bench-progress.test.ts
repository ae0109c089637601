import { afterAll, describe, expect, it } from "vitest";
import { createAgent } from "../../bench/client.js";
import { readSettings } from "../../bench/config.js";
import { startBenchMock, type BenchMock } from "../../bench/mock.js";
import { runProgress } from "../../bench/progress.js";
import { progressMarkdown } from "../../bench/side-by-side-report.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";

/**
 * Keeps `make bench`'s progress section (issue 12) from rotting: the same measurement with a ~3 s
 * reasoning phase (BENCH_PROGRESS_SECONDS), progress on and off, both gateways in this process.
 * Until the gateway emits `summary.progress` the report must say so plainly; once it does, the
 * first-progress figure must be there instead.
 */
const open: { mock?: BenchMock; gateways: RunningGateway[] } = { gateways: [] };
const agent = createAgent();

afterAll(async () => {
  for (const g of open.gateways) await g.close();
  await open.mock?.close();
  await agent.close();
});

describe("bench progress section (smoke)", () => {
  it("measures silence, summary calls and CPU during reasoning, progress on against off", async () => {
    const settings = readSettings({ BENCH_PROGRESS_SECONDS: "3", BENCH_PROGRESS_INTERVAL: "1", BENCH_PROGRESS_CONCURRENCY: "2" });
    const profile = { ...settings.profile, headersMs: 2, promptSummaryMs: 5, reasoningSummaryMs: 5, answerChunkMs: 1 };
    const mock = (open.mock = await startBenchMock({}));
    const start = async (seconds: string) => {
      const g = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, REASONING_PROGRESS_SECONDS: seconds, SSE_KEEPALIVE_SECONDS: "1" });
      open.gateways.push(g);
      return { url: g.url, pid: process.pid };
    };
    const [off, on] = await Promise.all([start("0"), start("1")]);

    // One process, one clock: no offset.
    const r = await runProgress({
      agent,
      mockUrl: `http://127.0.0.1:${mock.port}`,
      offsetMs: 0,
      settings: settings.progress,
      profile,
      gateways: { off, on },
      warmRequests: 4,
    });

    for (const run of [r.off, r.on]) {
      expect({ failed: run.failed, failures: run.failures }).toEqual({ failed: 0, failures: [] });
      expect(run.requests).toBe(2);
      expect(run.reasoningSeconds!.p50).toBeGreaterThan(2.5);
      // The prompt and the reasoning summary at least, each answered with some tokens.
      expect(run.summaryCalls!.min).toBeGreaterThanOrEqual(2);
      expect(run.summaryTokens!.min).toBeGreaterThan(0);
      // Keep-alives every second: the longest silence is far shorter than the 3 s of reasoning.
      expect(run.largestGapMs!.max).toBeGreaterThan(0);
      expect(run.largestGapMs!.max).toBeLessThan(2500);
    }
    expect(r.off.progressEvents!.max).toBe(0);
    const md = progressMarkdown(r);
    expect(md).toContain("| progress on (REASONING_PROGRESS_SECONDS=1) |");
    expect(md).toContain("| progress off (REASONING_PROGRESS_SECONDS=0) |");
    if (r.on.progressEvents!.max === 0) {
      expect(md).toContain("No progress events");
      expect(r.on.firstProgressMs).toBeNull();
    } else {
      expect(r.on.firstProgressMs!.p50).toBeGreaterThan(0);
      expect(md).toMatch(/Progress summaries cost [\d.]+ extra summary calls/);
    }
  }, 25_000);
});
