/**
 * Every knob of the bench, from the environment, with defaults sized so that `make bench` takes a
 * few minutes on two cores. Pure: `readSettings(env)` takes the environment as an argument.
 */

/** Fixed per-phase delays of the mock during the schedule runs (ms) and what it streams. */
export interface ScheduleProfile {
  headersMs: number;
  promptSummaryMs: number;
  reasoningSummaryMs: number;
  reasoningChunkMs: number;
  answerChunkMs: number;
  chunkChars: number;
  reasoningText: string;
  answerText: string;
}

export interface Settings {
  concurrency: number[];
  /** Measured requests per level: max(minRequests, rounds × concurrency). */
  rounds: number;
  minRequests: number;
  baselineConcurrency: number[];
  throughputSeconds: number;
  throughputConcurrency: number;
  memoryStreams: number[];
  /** `dist` (compiled, as `make run-gateway`) or `tsx` (the sources, as in development). */
  gatewayBuild: "dist" | "tsx";
  /** Zero-delay load before anything is measured, so V8 has optimised the request path. */
  warmupSeconds: number;
  /** Also run a profiled throughput pass (`node --cpu-prof`) and list the top self-time functions. */
  cpuProfile: boolean;
  profile: ScheduleProfile;
}

// About 20 chunks each at 12 characters: long enough that the answer streams live for a while
// after `summary.reasoning`, short enough that one request takes under a second.
const REASONING =
  "The user asks why the sky is blue. Sunlight holds every visible wavelength. Air molecules scatter short " +
  "wavelengths far more than long ones, as the inverse fourth power of the wavelength. So blue light reaches " +
  "the eye from every direction of the sky.";
const ANSWER =
  "The sky looks blue because air molecules scatter short, blue wavelengths of sunlight much more than long, " +
  "red ones. This is Rayleigh scattering. Violet scatters even more, but sunlight has less of it and our eyes " +
  "are less sensitive to it.";

const list = (v: string | undefined, def: number[]): number[] =>
  v === undefined || v.trim() === "" ? def : v.split(",").map((s) => Number(s.trim())).filter((n) => Number.isFinite(n) && n > 0);

const num = (v: string | undefined, def: number): number => {
  const n = Number(v);
  return v === undefined || v.trim() === "" || !Number.isFinite(n) ? def : n;
};

export function readSettings(env: Record<string, string | undefined>): Settings {
  const chunkMs = num(env.BENCH_CHUNK_MS, 20);
  return {
    concurrency: list(env.BENCH_CONCURRENCY, [1, 50, 200]),
    rounds: num(env.BENCH_ROUNDS, 3),
    minRequests: num(env.BENCH_MIN_REQUESTS, 20),
    baselineConcurrency: list(env.BENCH_BASELINE_CONCURRENCY, [1, 50]),
    throughputSeconds: num(env.BENCH_THROUGHPUT_SECONDS, 8),
    throughputConcurrency: num(env.BENCH_THROUGHPUT_CONCURRENCY, 50),
    memoryStreams: list(env.BENCH_MEMORY_STREAMS, [1000, 5000]),
    gatewayBuild: env.BENCH_GATEWAY === "tsx" ? "tsx" : "dist",
    warmupSeconds: num(env.BENCH_WARMUP_SECONDS, 5),
    cpuProfile: env.BENCH_CPU_PROF === "1" || env.BENCH_CPU_PROF === "true",
    profile: {
      headersMs: num(env.BENCH_HEADERS_MS, 50),
      promptSummaryMs: num(env.BENCH_PROMPT_SUMMARY_MS, 150),
      reasoningSummaryMs: num(env.BENCH_REASONING_SUMMARY_MS, 150),
      reasoningChunkMs: chunkMs,
      answerChunkMs: chunkMs,
      chunkChars: 12,
      reasoningText: REASONING,
      answerText: ANSWER,
    },
  };
}

/** Mock options for a profile: exact delays, the `tagged` scenario (the gateway's default path). */
export function mockOptionsFor(p: ScheduleProfile) {
  return {
    scenario: "tagged" as const,
    reasoningText: p.reasoningText,
    answerText: p.answerText,
    chunkChars: p.chunkChars,
    latency: {
      headersMs: p.headersMs,
      reasoningChunkMs: p.reasoningChunkMs,
      answerChunkMs: p.answerChunkMs,
      promptSummaryMs: p.promptSummaryMs,
      reasoningSummaryMs: p.reasoningSummaryMs,
    },
  };
}

/** Zero delays everywhere: what is left is the cost of the software. */
export const ZERO_LATENCY = { headersMs: 0, reasoningChunkMs: 0, answerChunkMs: 0, promptSummaryMs: 0, reasoningSummaryMs: 0 };

export const QUESTION = "Why is the sky blue? Answer briefly.";
