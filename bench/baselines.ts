import type { Agent } from "undici";
import { createReasoningSeparator } from "../src/reasoning/index.js";
import { scheduledFrames } from "./analyse.js";
import { PROMPT_SUMMARY_INSTRUCTION, REASONING_SUMMARY_INSTRUCTION } from "../src/summaries/index.js";
import { closedLoop, directComplete, directStream, type DirectStream } from "./client.js";
import { epochNow } from "./clock.js";
import { mockOptionsFor, QUESTION, type ScheduleProfile } from "./config.js";
import { configureMock } from "./mock-control.js";
import { summarize, type Summary } from "./stats.js";

/** What a user sees, and when, ms after starting: the same four moments for every strategy. */
export interface Moments {
  promptSummary: number;
  reasoningSummary: number;
  firstAnswer: number;
  complete: number;
}

export type MomentStats = Record<keyof Moments, Summary | null>;

export interface BaselineResult {
  concurrency: number;
  requests: number;
  sequential: MomentStats;
  parallel: MomentStats;
}

const summaryBody = (instruction: string, text: string) => ({
  model: "mock-tagged",
  stream: false,
  messages: [
    { role: "system", content: instruction },
    { role: "user", content: text },
  ],
});

const streamBody = { model: "mock-tagged", stream: true, messages: [{ role: "user", content: QUESTION }] };

/** What a client has to do itself without the gateway: split reasoning from the answer. */
function split(s: DirectStream): { reasoning: string; firstAnswerAt: number } {
  const sep = createReasoningSeparator({ mode: "auto", useReasoningFields: true });
  let reasoning = "";
  let firstAnswerAt = NaN;
  for (const f of s.frames) {
    for (const part of sep.push({ content: f.content ?? null, reasoning: f.reasoning ?? null })) {
      if (part.type === "reasoning") reasoning += part.text;
      else if (part.type === "answer" && Number.isNaN(firstAnswerAt)) firstAnswerAt = f.at;
    }
  }
  if (Number.isNaN(firstAnswerAt)) firstAnswerAt = s.endAt;
  return { reasoning, firstAnswerAt };
}

/** Prompt summary, then the streamed completion, then the reasoning summary: one after another. */
async function sequential(agent: Agent, mockBase: string): Promise<Moments> {
  const t0 = epochNow();
  const prompt = await directComplete(agent, mockBase, summaryBody(PROMPT_SUMMARY_INSTRUCTION, QUESTION));
  const stream = await directStream(agent, mockBase, streamBody);
  const { reasoning, firstAnswerAt } = split(stream);
  const rs = await directComplete(agent, mockBase, summaryBody(REASONING_SUMMARY_INSTRUCTION, reasoning));
  return { promptSummary: prompt.at - t0, reasoningSummary: rs.at - t0, firstAnswer: firstAnswerAt - t0, complete: rs.at - t0 };
}

/** Prompt summary ‖ completion; the reasoning summary only once the stream has ended. */
async function parallel(agent: Agent, mockBase: string): Promise<Moments> {
  const t0 = epochNow();
  const [prompt, stream] = await Promise.all([
    directComplete(agent, mockBase, summaryBody(PROMPT_SUMMARY_INSTRUCTION, QUESTION)),
    directStream(agent, mockBase, streamBody),
  ]);
  const { reasoning, firstAnswerAt } = split(stream);
  const rs = await directComplete(agent, mockBase, summaryBody(REASONING_SUMMARY_INSTRUCTION, reasoning));
  return {
    promptSummary: prompt.at - t0,
    reasoningSummary: rs.at - t0,
    firstAnswer: firstAnswerAt - t0,
    complete: Math.max(rs.at, stream.endAt, prompt.at) - t0,
  };
}

const stats = (rows: Moments[]): MomentStats => ({
  promptSummary: summarize(rows.map((r) => r.promptSummary)),
  reasoningSummary: summarize(rows.map((r) => r.reasoningSummary)),
  firstAnswer: summarize(rows.map((r) => r.firstAnswer)),
  complete: summarize(rows.map((r) => r.complete)),
});

/** Both do-it-yourself clients against the same mock and delays as the staged runs. */
export async function runBaselines(o: {
  agent: Agent;
  mockUrl: string;
  profile: ScheduleProfile;
  concurrency: number;
  requests: number;
}): Promise<BaselineResult> {
  await configureMock(o.agent, o.mockUrl, mockOptionsFor(o.profile));
  const base = `${o.mockUrl}/v1`;
  // Same pacing as the staged runs: starts spread over one request, the first round discarded.
  const warm = o.concurrency;
  const staggerMs = o.profile.headersMs + (scheduledFrames(o.profile).at(-1) ?? 0);
  const loop = (fn: () => Promise<Moments>) => closedLoop({ concurrency: o.concurrency, total: warm + o.requests, staggerMs }, fn);
  const seq = (await loop(() => sequential(o.agent, base))).slice(warm);
  const par = (await loop(() => parallel(o.agent, base))).slice(warm);
  return { concurrency: o.concurrency, requests: o.requests, sequential: stats(seq), parallel: stats(par) };
}
