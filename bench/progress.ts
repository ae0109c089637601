import type { Agent } from "undici";
import { replay } from "./analyse.js";
import { closedLoop } from "./client.js";
import { QUESTION, ZERO_LATENCY, type ProgressSettings, type ScheduleProfile } from "./config.js";
import { configureMock, setTracing, takeTrace } from "./mock-control.js";
import { treeCpuMs } from "./procs.js";
import { relayRequest, type RelayRun } from "./relay-client.js";
import { indexTrace } from "./side-by-side-analyse.js";
import { summarize, type Summary } from "./stats.js";
import type { TracedCall, TracedStream } from "./trace-types.js";

/*
 * Issue 12's question for `make bench`: during a long reasoning phase (60 s by default), what does
 * the user see, and what does it cost? Two gateways side by side against one mock — progress
 * summaries on (REASONING_PROGRESS_SECONDS=interval) and off (=0) — the same requests to each.
 */

/** What one gateway (progress on or off) showed and cost. */
export interface ProgressRun {
  intervalSeconds: number;
  requests: number;
  failed: number;
  failures: string[];
  /** Reasoning start (the mock's first reasoning chunk) → the first `summary.progress` at the client. */
  firstProgressMs: Summary | null;
  progressEvents: Summary | null;
  /** Per request: the longest stretch between reasoning start and `summary.reasoning` with nothing on the wire — no event, no keep-alive. */
  largestGapMs: Summary | null;
  /** Reasoning length as the mock wrote it (s). */
  reasoningSeconds: Summary | null;
  /** Per request: summary calls at the mock and the tokens they were answered with. */
  summaryCalls: Summary | null;
  summaryTokens: Summary | null;
  cpuMsPerRequest: number;
}

export interface ProgressResult {
  settings: ProgressSettings;
  off: ProgressRun;
  on: ProgressRun;
  /** (on − off) per minute of reasoning, from the means. */
  extraCallsPerMinute: number;
  extraTokensPerMinute: number;
  addedCpuMsPerRequest: number;
}

const SENTENCES = [
  "First I restate the question: why does the daytime sky look blue rather than white or violet?",
  "Sunlight arrives as a broad spectrum, roughly a black body near 5800 K filtered by the atmosphere.",
  "Molecules of nitrogen and oxygen are much smaller than visible wavelengths, so Rayleigh scattering applies.",
  "Rayleigh scattering grows as the inverse fourth power of the wavelength, so 450 nm scatters about 4.4 times more than 650 nm.",
  "Looking away from the sun, the eye receives mostly scattered light, which is weighted toward short wavelengths.",
  "But violet scatters even more than blue, so I should check why the sky is not violet.",
  "The solar spectrum has less violet than blue, and ozone absorbs some of the shortest wavelengths.",
  "The cones of the eye respond weakly to violet, and the mixture of scattered wavelengths is perceived as sky blue.",
  "Near the horizon the light path is longer, multiple scattering whitens the colour, which matches observation.",
  "At sunset the direct path is long enough that blue is scattered out, leaving reds and oranges.",
  "Let me double-check the numbers: (650/450)^4 is about 4.35, consistent with the claim above.",
  "So the answer should name Rayleigh scattering, the wavelength dependence, and the violet caveat.",
];

/**
 * Reasoning `chars` long, in paragraphs of four sentences: what a reasoning model writes while it
 * thinks for a minute, and what a progress summary gets to summarise.
 */
export function longReasoning(chars: number): string {
  let out = "";
  for (let i = 0; out.length < chars; i++) {
    out += SENTENCES[i % SENTENCES.length] ?? "";
    out += (i + 1) % 4 === 0 ? "\n\n" : " ";
  }
  return out.slice(0, chars).trimEnd();
}

/** The mock for this section: the staged profile's delays, reasoning paced to last `seconds`. */
export function progressMock(s: ProgressSettings, p: ScheduleProfile) {
  const chunks = Math.ceil((s.seconds * 1000) / s.chunkMs);
  return {
    scenario: "tagged" as const,
    reasoningText: longReasoning(chunks * p.chunkChars),
    answerText: p.answerText,
    chunkChars: p.chunkChars,
    latency: {
      headersMs: p.headersMs,
      promptSummaryMs: p.promptSummaryMs,
      reasoningSummaryMs: p.reasoningSummaryMs,
      reasoningChunkMs: s.chunkMs,
      answerChunkMs: p.answerChunkMs,
    },
  };
}

interface Measured {
  firstProgress: number;
  progressEvents: number;
  largestGap: number;
  reasoningSeconds: number;
  summaryCalls: number;
  summaryTokens: number;
}

/** One request: what the client saw during reasoning, against when the mock wrote reasoning. */
export function analyseProgress(run: RelayRun, stream: TracedStream, summaryCalls: TracedCall[]): Measured {
  if (run.error) throw new Error(run.error);
  if (!run.complete) throw new Error("the stream did not end with output.done");
  const start = stream.frames.find((f) => (f.content ?? f.reasoning ?? "") !== "")?.t;
  const end = stream.frames[replay(stream).reasoningEnd]?.t;
  const reasoningSummaryAt = run.frames.find((f) => f.name === "summary.reasoning")?.at;
  if (start === undefined || end === undefined || reasoningSummaryAt === undefined) throw new Error(`incomplete trace or stream for ${stream.model}`);
  // Everything the client saw between reasoning start and summary.reasoning, keep-alives included.
  const seen = run.frames.filter((f) => f.at > start && f.at < reasoningSummaryAt).map((f) => f.at);
  const marks = [start, ...seen, reasoningSummaryAt];
  let largestGap = 0;
  for (let i = 1; i < marks.length; i++) largestGap = Math.max(largestGap, (marks[i] ?? 0) - (marks[i - 1] ?? 0));
  const progress = run.frames.filter((f) => f.name === "summary.progress");
  return {
    firstProgress: progress[0] ? progress[0].at - start : NaN,
    progressEvents: progress.length,
    largestGap,
    reasoningSeconds: (end - start) / 1000,
    summaryCalls: summaryCalls.length,
    summaryTokens: summaryCalls.reduce((n, c) => n + (c.tokens ?? 0), 0),
  };
}

const mean = (s: Summary | null): number => s?.mean ?? NaN;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Progress on and off, each gateway given `concurrency` requests at once, all against one mock
 * whose reasoning lasts `seconds`. CPU per request comes from each gateway's own /proc figures.
 */
export async function runProgress(o: {
  agent: Agent;
  mockUrl: string;
  offsetMs: number;
  settings: ProgressSettings;
  profile: ScheduleProfile;
  gateways: { off: { url: string; pid: number }; on: { url: string; pid: number } };
  /** Zero-delay requests to each gateway first, so neither is charged for its cold JIT. */
  warmRequests?: number;
}): Promise<ProgressResult> {
  // Warm on short requests (the long reasoning at zero delay would be a flood of chunks).
  await configureMock(o.agent, o.mockUrl, { ...progressMock(o.settings, o.profile), reasoningText: o.profile.reasoningText, latency: ZERO_LATENCY });
  const warm = (url: string) =>
    closedLoop({ concurrency: 10, total: o.warmRequests ?? 100 }, (i) =>
      relayRequest(
        o.agent,
        `${url}/v1/chat/completions`,
        { model: `warm-${i}-tagged`, messages: [{ role: "user", content: QUESTION }], stream: true },
        { dialect: "staged" },
      ),
    );
  await Promise.all([warm(o.gateways.off.url), warm(o.gateways.on.url)]);
  await configureMock(o.agent, o.mockUrl, progressMock(o.settings, o.profile));
  await setTracing(o.agent, o.mockUrl, true);
  await takeTrace(o.agent, o.mockUrl, o.offsetMs);
  const c = o.settings.concurrency;
  const side = async (which: "off" | "on") => {
    const g = o.gateways[which];
    const before = treeCpuMs(g.pid);
    const runs = await closedLoop({ concurrency: c, total: c }, (i) =>
      relayRequest(
        o.agent,
        `${g.url}/v1/chat/completions`,
        { model: `prog-${which}-${i}-tagged`, summary_model: `prog-${which}-${i}-sum`, messages: [{ role: "user", content: QUESTION }], stream: true },
        { dialect: "staged", keepFrames: true },
      ),
    );
    return { runs, cpuMs: treeCpuMs(g.pid) - before };
  };
  const [off, on] = await Promise.all([side("off"), side("on")]);
  const trace = indexTrace(await takeTrace(o.agent, o.mockUrl, o.offsetMs));
  await setTracing(o.agent, o.mockUrl, false);

  const summary = (which: "off" | "on", r: typeof off, intervalSeconds: number): ProgressRun => {
    const rows: Measured[] = [];
    const failures: string[] = [];
    r.runs.forEach((run, i) => {
      try {
        const stream = trace.streams.get(`prog-${which}-${i}-tagged`);
        if (!stream) throw new Error(`no mock trace for prog-${which}-${i}`);
        rows.push(analyseProgress(run, stream, trace.calls.get(`prog-${which}-${i}-sum`) ?? []));
      } catch (e) {
        failures.push(e instanceof Error ? e.message : String(e));
      }
    });
    const of = (pick: (m: Measured) => number) => summarize(rows.map(pick).filter((x) => Number.isFinite(x)));
    return {
      intervalSeconds,
      requests: r.runs.length,
      failed: failures.length,
      failures: [...new Set(failures)].slice(0, 3),
      firstProgressMs: of((m) => m.firstProgress),
      progressEvents: of((m) => m.progressEvents),
      largestGapMs: of((m) => m.largestGap),
      reasoningSeconds: of((m) => m.reasoningSeconds),
      summaryCalls: of((m) => m.summaryCalls),
      summaryTokens: of((m) => m.summaryTokens),
      cpuMsPerRequest: r3(r.cpuMs / Math.max(1, r.runs.length)),
    };
  };
  const offRun = summary("off", off, 0);
  const onRun = summary("on", on, o.settings.intervalSeconds);
  const minutes = mean(onRun.reasoningSeconds) / 60;
  return {
    settings: o.settings,
    off: offRun,
    on: onRun,
    extraCallsPerMinute: r3((mean(onRun.summaryCalls) - mean(offRun.summaryCalls)) / minutes),
    extraTokensPerMinute: r3((mean(onRun.summaryTokens) - mean(offRun.summaryTokens)) / minutes),
    addedCpuMsPerRequest: r3(onRun.cpuMsPerRequest - offRun.cpuMsPerRequest),
  };
}
