import type { StagedEvent } from "../../../src/events/index.js";
import { silentLogger } from "../../../src/observability/index.js";
import { settle } from "../../../src/http/outcome.js";
import {
  createInflight,
  runStaged as runPipeline,
  type Failure,
  type PipelineDeps,
  type RunEnd,
  type StageSink,
  type StagedRequest,
} from "../../../src/pipeline/index.js";
import { noopObserver } from "../../../src/events/index.js";
import { createRouter, providersFileSchema, singleProviderSettings, type Provider } from "../../../src/providers/index.js";
import type { SummaryResult } from "../../../src/summaries/index.js";
import { UpstreamError, type UpstreamClient, type UpstreamDelta } from "../../../src/upstream/index.js";
import { createAnswerValidator } from "../../../src/validation/index.js";

/*
 * The pipeline with fake neighbours: an upstream that is an async generator we control, a
 * summarizer we can hold back. Deterministic — no sockets, no timers of ours to race.
 */

export const delta = (d: Partial<UpstreamDelta>): UpstreamDelta => ({
  content: undefined,
  reasoning: undefined,
  toolCalls: undefined,
  finishReason: undefined,
  usage: undefined,
  ...d,
});

export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export interface Fakes {
  deps: PipelineDeps;
  /** How many deltas the pipeline has pulled from the upstream so far. */
  pulled: () => number;
  /** Resolve to let the reasoning summary answer. */
  releaseReasoningSummary: () => void;
  /** Every upstream body the pipeline sent. */
  bodies: Record<string, unknown>[];
  /** The provider (base URL host) of every upstream call, in order. */
  targets: string[];
  /** Every summary call: its kind and the text it summarised. */
  summaries: { kind: string; text: string }[];
}

export interface FakeOptions {
  maxHeldChars?: number;
  deadlineMs?: number;
  holdReasoningSummary?: boolean;
  openError?: UpstreamError;
  /** One delta script per upstream call, in order (the last one repeats); an error fails that call's open. Overrides `deltas`. */
  scripts?: (UpstreamDelta[] | UpstreamError)[];
  /** Several providers on one route (priority order within a tier); default one provider "upstream". */
  providers?: { id: string; tier: "local" | "cloud"; cost?: Provider["cost"] }[];
  /** Turn schema-validated answers on (as app.ts does), with these bounds. */
  validation?: { maxAttempts?: number; maxAnswerChars?: number };
}

export function fakes(deltas: UpstreamDelta[], opts: FakeOptions = {}): Fakes {
  let pulled = 0;
  const bodies: Record<string, unknown>[] = [];
  const targets: string[] = [];
  const gate = deferred();
  if (!opts.holdReasoningSummary) gate.resolve();
  let call = 0;
  const client: UpstreamClient = {
    async stream(target, body, signal) {
      bodies.push(body);
      targets.push(new URL(target.baseUrl).hostname.replace(/\.invalid$/, ""));
      if (opts.openError) throw opts.openError;
      const next = opts.scripts ? (opts.scripts[Math.min(call, opts.scripts.length - 1)] ?? []) : deltas;
      call++;
      if (next instanceof UpstreamError) throw next;
      const script = next;
      async function* gen() {
        for (const d of script) {
          if (signal.aborted) throw new UpstreamError({ kind: "aborted", message: "gone", retryable: false });
          pulled++;
          yield d;
          await Promise.resolve();
        }
      }
      return { deltas: gen(), attempts: 1 };
    },
    complete: () => Promise.reject(new Error("unused")),
    models: () => Promise.resolve([]),
    probe: () => Promise.resolve({ ok: true, status: 200, latencyMs: 1, error: undefined }),
  };
  const defaults = providersFileSchema.shape;
  const health = defaults.health.parse(undefined);
  const taskRouting = defaults.task_routing.parse(undefined);
  const settings = opts.providers
    ? {
        providers: opts.providers.map((p, i) => ({
          id: p.id,
          tier: p.tier,
          weight: 1,
          priority: i + 1,
          maxConcurrency: undefined,
          cost: p.cost,
          models: { "*": "*" },
          target: { baseUrl: `http://${p.id}.invalid`, path: "/chat/completions", apiKey: undefined },
        })),
        routes: [{ model: "*", strategy: "priority" as const, providers: opts.providers.map((p) => p.id) }],
        summaryRoute: undefined,
        health,
        taskRouting,
        single: false,
      }
    : singleProviderSettings({ baseUrl: "http://upstream.invalid", path: "/chat/completions", apiKey: undefined }, health, taskRouting);
  const router = createRouter(settings, { now: () => 0, random: () => 0.5 });
  const summaries: { kind: string; text: string }[] = [];
  const summarize = async (req: { kind: string; text: string; signal: AbortSignal }): Promise<SummaryResult> => {
    summaries.push({ kind: req.kind, text: req.text });
    if (req.kind === "reasoning") await gate.promise;
    if (req.signal.aborted) throw new Error("cancelled");
    return { text: `${req.kind} summary`, source: "model", failure: undefined };
  };
  let t = 0;
  const deps: PipelineDeps = {
    client,
    router,
    observer: noopObserver,
    maxRetries: 0,
    now: () => (t += 1),
    summarize,
    logger: silentLogger(),
    wallClock: () => 0,
    maxReasoningChars: 8000,
    parseReasoningFields: true,
    capabilities: [],
    logBodies: false,
    deadlineMs: opts.deadlineMs ?? 60_000,
    maxHeldChars: opts.maxHeldChars ?? 1_000_000,
    inflight: createInflight(),
    progressIntervalMs: 0,
    ...(opts.validation && {
      validation: {
        validator: createAnswerValidator({
          cacheSize: 8,
          workers: 1,
          queueLimit: 16,
          budgetMs: 10_000,
          heapMb: 128,
          idleMs: 1_000,
        }),
        maxAttempts: opts.validation.maxAttempts ?? 3,
        maxAnswerChars: opts.validation.maxAnswerChars ?? 1_000_000,
        budgetMs: 10_000,
      },
    }),
  };
  return { deps, pulled: () => pulled, releaseReasoningSummary: () => gate.resolve(), bodies, targets, summaries };
}

export const request = (over: Partial<StagedRequest> = {}): StagedRequest => ({
  requestId: "req-1",
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  stream: true,
  summaryModel: "m",
  taskCategory: undefined,
  body: {},
  passthrough: {},
  ...over,
});

/** What a recording sink saw: the run's failure (as the edge settled it) lands in `failures`. */
const failuresOf = new WeakMap<StageSink, Failure[]>();

export function recordingSink(over: Partial<StageSink> = {}): { sink: StageSink; events: StagedEvent[]; failures: Failure[] } {
  const events: StagedEvent[] = [];
  const failures: Failure[] = [];
  const sink: StageSink = { event: (e) => void events.push(e), ...over };
  failuresOf.set(sink, failures);
  return { events, failures, sink };
}

/**
 * The pipeline's run, finished as the HTTP edge finishes it: a streamed run has begun once the
 * upstream accepted; the end is settled into an outcome and status, and recorded.
 */
export async function runStaged(
  req: StagedRequest,
  deps: PipelineDeps,
  sink: StageSink,
  signal: AbortSignal,
): Promise<{ end: RunEnd; failure: Failure | undefined }> {
  let began = false;
  const watched: StageSink = {
    ...sink,
    accepted: () => {
      began = req.stream;
      sink.accepted?.();
    },
  };
  const result = await runPipeline(req, deps, watched, signal);
  const settled = settle(result.end, began);
  if (settled.failure) failuresOf.get(sink)?.push(settled.failure);
  result.record(settled.outcome, settled.status);
  return { end: result.end, failure: settled.failure };
}

/** The answer text the client received, joined. */
export const answerOf = (events: StagedEvent[]): string => events.flatMap((e) => (e.event === "output.delta" ? [e.data.text] : [])).join("");
