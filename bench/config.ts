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
  /** Which parts run (BENCH_SECTIONS): the side-by-side table, start-up, the progress section, the schedule/throughput/memory sections. */
  sections: Section[];
  /** Start-up repetitions (BENCH_STARTUP_REPS): every case started once per repetition. */
  startupReps: number;
  sideBySide: SideBySideSettings;
  progress: ProgressSettings;
}

export const SECTIONS = ["side-by-side", "startup", "progress", "schedule"] as const;
export type Section = (typeof SECTIONS)[number];

/** The relays the side-by-side section compares (bench/side-by-side.ts says what each one is). */
export const SYSTEM_IDS = ["floor", "portkey", "plain", "openai", "staged"] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

export interface SideBySideSettings {
  /** Repetitions; the order of the relays alternates from one to the next. */
  reps: number;
  systems: SystemId[];
  /** Paced levels; measured requests per level and repetition: max(minRequests, rounds × c). */
  concurrency: number[];
  rounds: number;
  minRequests: number;
  /** Zero-delay closed loop per relay and repetition: CPU per request and requests/s. */
  zeroSeconds: number;
  zeroConcurrency: number;
  /** Streams parked per relay for the live-heap row, each relay in a fresh process (0 skips). */
  memoryStreams: number;
  /** WORKERS=N values for the staged requests/s rows (measured only when the gateway has WORKERS). */
  workers: number[];
  /** The paced mock: headers, both summaries and one chunk every `answerChunkMs`. */
  profile: ScheduleProfile;
}

export interface ProgressSettings {
  /** Length of the reasoning phase (s); 0 skips the section. */
  seconds: number;
  /** REASONING_PROGRESS_SECONDS of the gateway with progress on. */
  intervalSeconds: number;
  /** Requests in flight at once, per gateway (progress on and off run side by side). */
  concurrency: number;
  /** One reasoning chunk every this many ms. */
  chunkMs: number;
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
  v === undefined || v.trim() === ""
    ? def
    : v
        .split(",")
        .map((s) => Number(s.trim()))
        .filter((n) => Number.isFinite(n) && n > 0);

const num = (v: string | undefined, def: number): number => {
  const n = Number(v);
  return v === undefined || v.trim() === "" || !Number.isFinite(n) ? def : n;
};

const pick = <T extends string>(v: string | undefined, all: readonly T[]): T[] =>
  v === undefined || v.trim() === ""
    ? [...all]
    : all.filter((x) =>
        v
          .split(",")
          .map((s) => s.trim())
          .includes(x),
      );

export function readSettings(env: Record<string, string | undefined>): Settings {
  const chunkMs = num(env.BENCH_CHUNK_MS, 20);
  const profile: ScheduleProfile = {
    headersMs: num(env.BENCH_HEADERS_MS, 50),
    promptSummaryMs: num(env.BENCH_PROMPT_SUMMARY_MS, 150),
    reasoningSummaryMs: num(env.BENCH_REASONING_SUMMARY_MS, 150),
    reasoningChunkMs: chunkMs,
    answerChunkMs: chunkMs,
    chunkChars: 12,
    reasoningText: REASONING,
    answerText: ANSWER,
  };
  const sbsSummaryMs = num(env.BENCH_SBS_SUMMARY_MS, 20);
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
    profile,
    sections: pick(env.BENCH_SECTIONS, SECTIONS),
    startupReps: num(env.BENCH_STARTUP_REPS, 5),
    sideBySide: {
      reps: num(env.BENCH_SBS_REPS, 5),
      systems: pick(env.BENCH_SBS_SYSTEMS, SYSTEM_IDS),
      concurrency: list(env.BENCH_SBS_CONCURRENCY, [1, 50, 200]),
      rounds: num(env.BENCH_SBS_ROUNDS, 2),
      minRequests: num(env.BENCH_SBS_MIN_REQUESTS, 8),
      zeroSeconds: num(env.BENCH_SBS_ZERO_SECONDS, 4),
      zeroConcurrency: num(env.BENCH_THROUGHPUT_CONCURRENCY, 50),
      memoryStreams: num(env.BENCH_SBS_MEMORY_STREAMS, 1000),
      workers: list(env.BENCH_SBS_WORKERS, [1, 2]),
      // A prompt summary quicker than the upstream's headers: every relay's first byte then waits
      // for the same thing, the upstream, and the time-to-first-byte rows compare like with like.
      profile: { ...profile, headersMs: num(env.BENCH_SBS_HEADERS_MS, 50), promptSummaryMs: sbsSummaryMs, reasoningSummaryMs: sbsSummaryMs },
    },
    progress: {
      seconds: num(env.BENCH_PROGRESS_SECONDS, 60),
      intervalSeconds: num(env.BENCH_PROGRESS_INTERVAL, 5),
      concurrency: num(env.BENCH_PROGRESS_CONCURRENCY, 10),
      chunkMs: num(env.BENCH_PROGRESS_CHUNK_MS, 50),
    },
  };
}

/**
 * The plain (no reasoning) relays' answer: the reasoning model's text run together and cut to the
 * length of its tagged content, so a plain stream has as many chunks and bytes as the staged one
 * and CPU per request compares like with like.
 */
export function plainAnswerText(p: ScheduleProfile): string {
  const tagged = `<analysis>${p.reasoningText}</analysis>\n<final>${p.answerText}</final>`;
  const long = `${p.reasoningText}\n\n${p.answerText} ${p.answerText}`;
  return Array.from(long).slice(0, Array.from(tagged).length).join("");
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
