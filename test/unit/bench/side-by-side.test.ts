import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scriptPieces } from "../../../mock-upstream/scenarios.js";
import { plainAnswerText, readSettings, SYSTEM_IDS, type SystemId } from "../../../bench/config.js";
import { gatewayHasWorkers } from "../../../bench/procs.js";
import { analyseProgress, longReasoning } from "../../../bench/progress.js";
import type { RelayRun } from "../../../bench/relay-client.js";
import { writeSection } from "../../../bench/report.js";
import { spread, type RelaySummary, type SideBySideResult, type Spread } from "../../../bench/side-by-side.js";
import { analyseRelay } from "../../../bench/side-by-side-analyse.js";
import { sideBySideMarkdown, type RunContext } from "../../../bench/side-by-side-report.js";
import type { TracedStream } from "../../../bench/trace-types.js";

const settings = readSettings({});

describe("bench settings", () => {
  it("reads the side-by-side, start-up and progress knobs, with the issue's defaults", () => {
    expect(settings.sideBySide).toMatchObject({ reps: 5, concurrency: [1, 50, 200], systems: [...SYSTEM_IDS], workers: [1, 2] });
    expect(settings.progress).toMatchObject({ seconds: 60, intervalSeconds: 5 });
    expect(settings.sections).toEqual(["side-by-side", "startup", "progress", "schedule"]);
    expect(settings.startupReps).toBe(5);
    const s = readSettings({
      BENCH_SECTIONS: "progress, nonsense",
      BENCH_SBS_SYSTEMS: "staged,floor",
      BENCH_PROGRESS_SECONDS: "3",
      BENCH_SBS_WORKERS: "0",
      BENCH_STARTUP_REPS: "2",
    });
    expect(s.sections).toEqual(["progress"]);
    expect(s.startupReps).toBe(2);
    // In the canonical order whatever order they were named in.
    expect(s.sideBySide.systems).toEqual(["floor", "staged"]);
    expect(s.progress.seconds).toBe(3);
    expect(s.sideBySide.workers).toEqual([]);
  });

  it("gives the plain relays a stream exactly as long as the staged one", () => {
    const p = settings.sideBySide.profile;
    const plain = scriptPieces("plain", p.reasoningText, plainAnswerText(p), p.chunkChars);
    const tagged = scriptPieces("tagged", p.reasoningText, p.answerText, p.chunkChars);
    expect(plain.length).toBe(tagged.length);
    expect(plain.map((x) => x.text).join("").length).toBe(tagged.map((x) => x.text).join("").length);
    expect(plainAnswerText(p).startsWith(p.reasoningText)).toBe(true);
  });

  it("writes long reasoning in paragraphs, as long as asked", () => {
    const text = longReasoning(5000);
    expect(text.length).toBeLessThanOrEqual(5000);
    expect(text.length).toBeGreaterThan(4900);
    expect(text.split("\n\n").length).toBeGreaterThan(5);
    expect(text).not.toMatch(/<\/?(analysis|final|think)>/);
  });
});

describe("spread", () => {
  it("is the median, min and max over repetitions, ignoring runs without a figure", () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, values: [3, 1, 2] });
    expect(spread([4, 1, NaN, 2, 3])).toMatchObject({ median: 2.5, min: 1, max: 4 });
    expect(spread([NaN])).toBeNull();
  });
});

/** A plain stream of three 4-character frames written at t = 10, 20, 30 after headers at 5. */
const stream = (frames: string[], times: number[]): TracedStream => ({
  model: "m-plain",
  headersAt: 5,
  frames: [{ t: 5 }, ...frames.map((content, i) => ({ t: times[i] ?? NaN, content }))],
  endedAt: 40,
});
const run = (deliveries: { at: number; cum: number }[], extra: Partial<RelayRun> = {}): RelayRun => ({
  sentAt: 0,
  headersAt: 6,
  status: 200,
  deliveries,
  frames: [],
  complete: true,
  ...extra,
});

describe("analyseRelay", () => {
  const s = stream(["abcd", "efgh", "ijkl"], [10, 20, 30]);

  it("times each chunk written after the first answer text arrived, from the mock's write to the read that completed it", () => {
    // The first chunk arrives at 11; the second and third are read together at 31.
    const a = analyseRelay(
      run([
        { at: 11, cum: 4 },
        { at: 31, cum: 12 },
      ]),
      { stream: s, calls: 1 },
    );
    expect(a.chunkLatency).toEqual([11, 1]);
    expect(a.ttfbAdded).toBe(1);
  });

  it("leaves out chunks the relay held before its first answer text (ours: the summaries come first)", () => {
    const a = analyseRelay(
      run([
        { at: 25, cum: 8 },
        { at: 31, cum: 12 },
      ]),
      { stream: s, calls: 3 },
    );
    expect(a.chunkLatency).toEqual([1]);
  });

  it("counts our first byte from the later of the upstream's headers and the prompt summary", () => {
    const promptSummary = { kind: "prompt_summary" as const, model: "m-sum", receivedAt: 1, endedAt: 8 };
    expect(analyseRelay(run([{ at: 31, cum: 12 }], { headersAt: 9 }), { stream: s, promptSummary, calls: 2 }).ttfbAdded).toBe(1);
  });

  it("refuses a run whose answer is not exactly what the mock sent, or that did not end cleanly", () => {
    expect(() => analyseRelay(run([{ at: 31, cum: 11 }]), { stream: s, calls: 1 })).toThrow(/got 11 answer characters, the mock sent 12/);
    expect(() => analyseRelay(run([{ at: 31, cum: 12 }], { complete: false }), { stream: s, calls: 1 })).toThrow(/did not end/);
    expect(() => analyseRelay(run([], { error: "status 500" }), { stream: s, calls: 1 })).toThrow("status 500");
  });
});

describe("analyseProgress", () => {
  // Reasoning from t=100 (first frame) to t=1100 (the frame with </analysis>).
  const s: TracedStream = {
    model: "p-tagged",
    headersAt: 50,
    frames: [
      { t: 50 },
      { t: 100, content: "<analysis>thinking" },
      { t: 600, content: " more" },
      { t: 1100, content: "</analysis><final>ok" },
      { t: 1110, content: "</final>" },
    ],
    endedAt: 1120,
  };
  const frames = (list: [string, number][]) => list.map(([name, at]) => ({ name, at, data: "{}" }));

  it("takes the largest silence between reasoning start and summary.reasoning, keep-alives included", () => {
    const r = run([], {
      frames: frames([
        ["summary.prompt", 150],
        ["comment", 400],
        ["summary.progress", 700],
        ["comment", 1000],
        ["summary.reasoning", 1250],
        ["output.done", 1300],
      ]),
    });
    const m = analyseProgress(r, s, [
      { kind: "prompt_summary", model: "p-sum", receivedAt: 0, endedAt: 150, tokens: 30 },
      { kind: "reasoning_summary", model: "p-sum", receivedAt: 500, endedAt: 650, tokens: 40 },
      { kind: "reasoning_summary", model: "p-sum", receivedAt: 1100, endedAt: 1250, tokens: 50 },
    ]);
    expect(m).toEqual({ firstProgress: 600, progressEvents: 1, largestGap: 300, reasoningSeconds: 1, summaryCalls: 3, summaryTokens: 120 });
  });

  it("has no first progress when none came, and the whole phase as the gap when nothing at all did", () => {
    const m = analyseProgress(
      run([], {
        frames: frames([
          ["summary.reasoning", 1250],
          ["output.done", 1300],
        ]),
      }),
      s,
      [],
    );
    expect(m.firstProgress).toBeNaN();
    expect(m.progressEvents).toBe(0);
    expect(m.largestGap).toBe(1150);
  });
});

const sp = (median: number): Spread => ({ median, min: median, max: median, values: [median] });
function relay(
  id: SystemId,
  chunk: number,
  opts: { calls?: number; cpu?: number; perSecond?: number; heap?: number | null; ttfb?: number } = {},
): RelaySummary {
  return {
    id,
    label: id,
    chunkP50: { 1: sp(chunk) },
    chunkP99: { 1: sp(chunk * 3) },
    ttfbAddedP50: { 1: sp(opts.ttfb ?? 0.5) },
    cpuPaced: { 1: sp(1) },
    calls: opts.calls ?? 1,
    zeroCpu: sp(opts.cpu ?? 0.1),
    zeroPerSecond: sp(opts.perSecond ?? 2000),
    memory: null,
    heapKBPerStream: opts.heap ?? null,
    failed: 0,
    failures: [],
    runs: [],
  };
}
const ctx: RunContext = {
  startedAt: "2026-01-01T00:00:00.000Z",
  durationSeconds: 600,
  machine: { nproc: 2, cpu: "Test CPU", node: "v20.0.0", os: "Linux", memoryGiB: 8 },
  load: { start: [1.5, 1, 0.5], end: [2, 1.25, 0.75] },
  commit: "abc1234",
  gatewayBuild: "dist",
  portkey: { gateway: "1.15.2", nodeServer: "1.14.1", hono: "4.13.19" },
};

describe("sideBySideMarkdown", () => {
  const result = (workers: SideBySideResult["workers"]): SideBySideResult => ({
    settings: { ...settings.sideBySide, concurrency: [1] },
    orders: [],
    workers,
    relays: [
      relay("floor", 1, { heap: 16 }),
      relay("portkey", 2),
      relay("plain", 1.1, { calls: 2, cpu: 0.3, heap: 30 }),
      relay("staged", 1.5, { calls: 3, cpu: 0.6, perSecond: 900, heap: 20, ttfb: 2 }),
    ],
  });

  it("shows the machine, load, commit and Portkey's pin above the table", () => {
    const md = sideBySideMarkdown(result(null), ctx);
    expect(md).toContain("**2 × Test CPU**");
    expect(md).toContain("Load average (1 / 5 / 15 min) 1.50 / 1.00 / 0.50 at the start, 2.00 / 1.25 / 0.75 at the end");
    expect(md).toContain("commit `abc1234`");
    expect(md).toContain("`@portkey-ai/gateway` 1.15.2 with `@hono/node-server` 1.14.1");
    expect(md.indexOf("Run of")).toBeLessThan(md.indexOf("| per request / per chunk |"));
  });

  it("marks each target met or not met with its figure, against the floor", () => {
    const md = sideBySideMarkdown(result(null), ctx);
    expect(md).toContain("| added per chunk p50 ≤ 1.2× floor, c=1 | 1.10 ms = 1.10× floor: met | 1.50 ms = 1.50× floor: **not met** |");
    expect(md).toContain("| time to first byte added ≤ 1 ms, c=1 | 0.50 ms: met | 2.00 ms: **not met** |");
    // Per upstream call: 0.3 ms over 2 calls = 1.5× the floor's 0.1; 0.6 ms over 3 calls = 2×.
    expect(md).toContain("| CPU per upstream call ≤ 2× floor's, zero delay | 0.150 ms/call = 1.50× floor: met | 0.200 ms/call = 2.00× floor: met |");
    expect(md).toContain("| ≥ 1,000 staged requests/s, zero delay | – | 900 /s: **not met** |");
    expect(md).toContain("| ≤ 25 KB live heap per parked stream | 30.0 KB: **not met** | 20.0 KB: met |");
    expect(md).toContain("| added per chunk p50, c=1 (ms) | 1.10× · 0.55× | 1.50× · 0.75× |");
  });

  it("says not available for the WORKERS rows when the gateway has no WORKERS, and the figure when it has", () => {
    expect(sideBySideMarkdown(result(null), ctx)).toContain("| staged requests/s, zero delay, WORKERS=2 | – | – | – | not available |");
    const md = sideBySideMarkdown(result([{ workers: 2, perSecond: sp(1500), cpuMsPerRequest: sp(0.5) }]), ctx);
    expect(md).toContain("| staged requests/s, zero delay, WORKERS=2 | – | – | – | 1500 (1500–1500) |");
  });
});

describe("writeSection", () => {
  it("replaces its own block and nothing else, or puts a new one under the title", () => {
    const file = join(mkdtempSync(join(tmpdir(), "bench-")), "B.md");
    writeFileSync(file, "# Benchmarks\n\nProse.\n");
    writeSection(file, "x", "one");
    expect(readFileSync(file, "utf8")).toBe("# Benchmarks\n\n<!-- bench:x:start -->\none\n<!-- bench:x:end -->\n\nProse.\n");
    writeSection(file, "x", "two");
    expect(readFileSync(file, "utf8")).toBe("# Benchmarks\n\n<!-- bench:x:start -->\ntwo\n<!-- bench:x:end -->\n\nProse.\n");
  });
});

describe("gatewayHasWorkers", () => {
  it("is true only when the config schema declares WORKERS", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-"));
    writeFileSync(join(dir, "with.ts"), "export const schema = z.object({\n  PORT: port,\n  WORKERS: z.coerce.number(),\n});\n");
    writeFileSync(join(dir, "without.ts"), "export const schema = z.object({\n  PORT: port,\n  // WORKERS_NOTE: not a key\n});\n");
    expect(gatewayHasWorkers(join(dir, "with.ts"))).toBe(true);
    expect(gatewayHasWorkers(join(dir, "without.ts"))).toBe(false);
    expect(gatewayHasWorkers(join(dir, "missing.ts"))).toBe(false);
  });
});
