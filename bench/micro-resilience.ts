/**
 * CPU per call of the two resilience wrappers every request goes through, in the common case
 * where nothing goes wrong (`node --import tsx bench/micro-resilience.ts`): the upstream retry
 * loop around a call that succeeds at once, and the summary deadline around a summary that
 * answers at once. Beside them, the libraries used the plain way (p-retry around every call,
 * p-timeout with its default error), for comparison. In-process and single-threaded, so it is
 * far steadier on a busy machine than the whole-gateway profile.
 */
import pRetry from "p-retry";
import pTimeout from "p-timeout";
import { createSummarizer } from "../src/summaries/index.js";
import { withRetries } from "../src/upstream/retry.js";

const N = Number(process.env.MICRO_CALLS ?? "100000");
const ROUNDS = Number(process.env.MICRO_ROUNDS ?? "5");
const signal = new AbortController().signal;
const completion = { choices: [{ message: { role: "assistant", content: "A short summary." } }] };
const summarize = createSummarizer(10_000);
const policy = { maxRetries: 2, backoffMs: 500, maxRetryAfterMs: 60_000 };

const cases: [string, () => Promise<unknown>][] = [
  ["withRetries (gateway), call succeeds", () => withRetries(() => Promise.resolve(1), policy, signal)],
  ["pRetry around every call (plain use)", () => pRetry(() => Promise.resolve(1), { retries: 2, signal })],
  [
    "summarize (gateway), summary answers",
    () => summarize({ kind: "prompt", text: "Why is the sky blue?", model: "m", signal, complete: () => Promise.resolve(completion) }),
  ],
  ["pTimeout with its default error (plain use)", () => pTimeout(Promise.resolve(1), { milliseconds: 10_000 })],
  ["pTimeout with a fallback (p-timeout 7 still captures a stack)", () => pTimeout(Promise.resolve(1), { milliseconds: 10_000, fallback: () => 0 })],
  ["bare promise (floor)", () => Promise.resolve(1)],
];

/** µs of CPU (user + system) per call: the median of ROUNDS rounds of N sequential calls. */
async function measure(run: () => Promise<unknown>): Promise<number> {
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.cpuUsage();
    for (let i = 0; i < N; i++) await run();
    const d = process.cpuUsage(t);
    rounds.push((d.user + d.system) / N);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)] ?? Number.NaN;
}

// Warm every path up first, so the first case does not pay for V8's compilation.
for (const [, run] of cases) for (let i = 0; i < 20_000; i++) await run();
console.log(`CPU per call, median of ${ROUNDS} rounds of ${N} calls (Node ${process.version})`);
for (const [name, run] of cases) console.log(`${(await measure(run)).toFixed(2).padStart(8)} µs  ${name}`);
