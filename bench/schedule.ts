import type { Agent } from "undici";
import { analyseRequest, EVENT_KEYS, scheduledFrames, type EventKey, type RequestAnalysis } from "./analyse.js";
import { closedLoop, stagedRequest, type StagedRun } from "./client.js";
import { epochNow } from "./clock.js";
import { mockOptionsFor, QUESTION, type ScheduleProfile } from "./config.js";
import { configureMock, setTracing, takeTrace } from "./mock-control.js";
import { cpuMs } from "./procs.js";
import { summarize, type Summary } from "./stats.js";
import type { TraceDump } from "./trace-types.js";

export interface ScheduleResult {
  concurrency: number;
  requests: number;
  /** Requests that failed, lost an event, or could not be matched with the mock's trace. */
  failed: number;
  failures: string[];
  /** Gateway's added delay per event (actual − ideal from the mock's timestamps). */
  added: Record<EventKey, Summary | null>;
  /** Same against the configured delays only. */
  addedConfig: Record<EventKey, Summary | null>;
  /** Arrival time of each event after the request was sent (for the baseline comparison). */
  actual: Record<EventKey, Summary | null>;
  ideal: Record<EventKey, Summary | null>;
  ttfb: Summary | null;
  chunkLatency: Summary | null;
  mockLateness: Summary | null;
  /** Share of one core each server used during the measured requests (null without pids). */
  coreShare: { gateway: number; mock: number } | null;
}

export interface ScheduleOptions {
  agent: Agent;
  gatewayUrl: string;
  mockUrl: string;
  offsetMs: number;
  profile: ScheduleProfile;
  concurrency: number;
  requests: number;
  warmup: number;
  /** When given, CPU of both servers is read around the measured requests. */
  pids?: { gateway: number; mock: number };
  /** Distinguishes runs, so model names (the key into the mock's trace) never repeat. */
  tag: string;
}

/** The model name carries the request's id to the mock; `-tagged` picks the scenario. */
const bodyFor = (tag: string, i: number) => ({
  model: `${tag}-${i}-tagged`,
  summary_model: `${tag}-${i}-sum`,
  messages: [{ role: "user", content: QUESTION }],
  stream: true,
});

function match(run: StagedRun, tag: string, i: number, dump: TraceDump) {
  const model = `${tag}-${i}-tagged`;
  const summary = `${tag}-${i}-sum`;
  const stream = dump.streams.find((s) => s.model === model);
  const chat = dump.calls.find((c) => c.kind === "chat" && c.model === model);
  const promptSummary = dump.calls.find((c) => c.kind === "prompt_summary" && c.model === summary);
  const reasoningSummary = dump.calls.find((c) => c.kind === "reasoning_summary" && c.model === summary);
  if (run.error) throw new Error(run.error);
  if (!stream || !chat || !promptSummary || !reasoningSummary) throw new Error(`no mock trace for ${model}`);
  const order = run.events.map((e) => e.name).filter((n, k, all) => n !== "output.delta" || all[k - 1] !== "output.delta");
  if (order.join(",") !== "summary.prompt,summary.reasoning,output.delta,output.done") throw new Error(`events: ${order.join(",")}`);
  return { stream, chat, promptSummary, reasoningSummary };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

const perEvent = (rows: RequestAnalysis[], pick: (r: RequestAnalysis) => Record<EventKey, number>) =>
  Object.fromEntries(EVENT_KEYS.map((k) => [k, summarize(rows.map((r) => pick(r)[k]))])) as Record<EventKey, Summary | null>;

/**
 * Staged requests at one concurrency against the mock's fixed delays: a closed loop with staggered
 * starts whose first requests warm up and are discarded; every measured request is matched with
 * the mock's trace and compared with its ideal.
 */
export async function runSchedule(o: ScheduleOptions): Promise<ScheduleResult> {
  await configureMock(o.agent, o.mockUrl, mockOptionsFor(o.profile));
  await setTracing(o.agent, o.mockUrl, true);
  await takeTrace(o.agent, o.mockUrl, o.offsetMs);
  const schedule = scheduledFrames(o.profile);
  const cpu = () => (o.pids ? { gateway: cpuMs(o.pids.gateway), mock: cpuMs(o.pids.mock), at: epochNow() } : null);
  const mark: { before: ReturnType<typeof cpu> } = { before: null };
  // One loop, the first `warmup` requests discarded: a separate warm-up loop would end in step and
  // start the measured requests as one burst again.
  const all = await closedLoop({ concurrency: o.concurrency, total: o.warmup + o.requests, staggerMs: o.profile.headersMs + (schedule.at(-1) ?? 0) }, (i) => {
    if (i === o.warmup) mark.before = cpu();
    return stagedRequest(o.agent, o.gatewayUrl, bodyFor(o.tag, i));
  });
  const { before } = mark;
  const after = cpu();
  const dump = await takeTrace(o.agent, o.mockUrl, o.offsetMs);
  await setTracing(o.agent, o.mockUrl, false);

  const runs = all.slice(o.warmup);
  const rows: RequestAnalysis[] = [];
  const failures: string[] = [];
  runs.forEach((run, k) => {
    try {
      rows.push(analyseRequest(run, match(run, o.tag, k + o.warmup, dump), o.profile, schedule));
    } catch (e) {
      failures.push(e instanceof Error ? e.message : String(e));
    }
  });
  return {
    concurrency: o.concurrency,
    requests: runs.length,
    failed: failures.length,
    failures: [...new Set(failures)].slice(0, 5),
    added: perEvent(rows, (r) => r.added),
    addedConfig: perEvent(rows, (r) => r.addedConfig),
    actual: perEvent(rows, (r) => r.actual),
    ideal: perEvent(rows, (r) => r.ideal),
    ttfb: summarize(rows.map((r) => r.ttfb)),
    chunkLatency: summarize(rows.flatMap((r) => r.chunkLatency)),
    mockLateness: summarize(rows.map((r) => r.mockLateness)),
    coreShare:
      before && after
        ? { gateway: round2((after.gateway - before.gateway) / (after.at - before.at)), mock: round2((after.mock - before.mock) / (after.at - before.at)) }
        : null,
  };
}
