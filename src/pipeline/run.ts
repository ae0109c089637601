import type { Logger } from "pino";
import type { CapabilityMode } from "../config/index.js";
import type { RouteInfo, StagedEvent, Timings, Usage } from "../events/index.js";
import { classifyTask, type Candidate } from "../providers/index.js";
import { createReasoningCollector, createReasoningSeparator, resolveCapability, type ParsedPart } from "../reasoning/index.js";
import type { Summarize } from "../summaries/index.js";
import { reportsNativeReasoning, type UpstreamError } from "../upstream/index.js";
import { childController, FINISHED } from "../util/index.js";
import { asUpstreamError, completeVia, noProvider, reportFailure, retriesFor, type FailoverDeps } from "./failover.js";
import type { RequestObserver } from "./observer.js";
import { createOrderedEmitter } from "./ordering.js";
import { buildRecord } from "./record.js";
import { buildUpstreamBody, contentText, promptText, type StagedRequest } from "./request.js";

export interface PipelineDeps extends FailoverDeps {
  summarize: Summarize;
  logger: Logger;
  observer: RequestObserver;
  wallClock: () => number;
  maxReasoningChars: number;
  parseReasoningFields: boolean;
  capabilities: { pattern: string; mode: CapabilityMode }[];
  logBodies: boolean;
}

/** Where a request's output goes. `fail` ends it and returns the HTTP status it ended with. */
export interface StageSink {
  event(e: StagedEvent): void;
  fail(e: UpstreamError): number;
  /** The provider now serving the request, for the `x-gateway-provider` header. */
  provider?(id: string): void;
}

/**
 * One request, start to finish: the prompt summary and the upstream stream start together; the
 * reasoning summary starts the moment reasoning ends. Everything shares one AbortSignal, so a
 * client that leaves, or an upstream that fails, stops all three calls at once. A provider that
 * fails before any answer was sent is replaced by the route's next candidate, unseen.
 */
export async function runStaged(req: StagedRequest, deps: PipelineDeps, sink: StageSink, clientSignal: AbortSignal): Promise<void> {
  const startedAt = deps.wallClock();
  const t0 = deps.now();
  const elapsed = () => Math.round(deps.now() - t0);
  const timings: Timings = { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 0 };
  const stop = childController(clientSignal);
  const signal = stop.signal;
  const summaries: { prompt?: { text: string; source: string }; reasoning?: { text: string; source: string } } = {};
  const answer: string[] = [];
  let fallbacks = 0;
  const out = createOrderedEmitter(
    req.requestId,
    (e) => {
      if (e.event === "summary.prompt") summaries.prompt = { text: e.data.text, source: e.data.source };
      else if (e.event === "summary.reasoning") summaries.reasoning = { text: e.data.text, source: e.data.source };
      else if (e.event === "output.delta" && deps.logBodies) answer.push(e.data.text);
      else if (e.event === "error" && e.data.stage !== "upstream") {
        fallbacks++;
        deps.observer.summaryFallback({ id: req.requestId, stage: e.data.stage, code: e.data.code });
      }
      sink.event(e);
    },
    () => (timings.first_output = elapsed()),
  );
  deps.observer.started({ id: req.requestId, model: req.model, stream: req.stream });

  const classification = deps.router.usesTaskRouting
    ? classifyTask(
        { header: req.taskCategory, metadataCategory: metadataCategory(req.passthrough), text: req.messages.map((m) => contentText(m.content)).join("\n") },
        deps.router.taskRouting,
      )
    : undefined;
  const plan = deps.router.plan(req.model, { kind: "chat", classification });
  const mode = resolveCapability(req.model, deps.capabilities);
  let route: RouteInfo | null = null;
  let served: Candidate | undefined;
  let attempts = 0;
  let failovers = 0;
  let ttfb: number | null = null;
  let finishReason: string | null = null;
  let usage: Usage | undefined;
  const finish = (outcome: "ok" | "upstream_error" | "client_closed", httpStatus: number, err?: UpstreamError) => {
    timings.total = elapsed();
    const record = buildRecord({
      req, startedAt, endedAt: deps.wallClock(), outcome, httpStatus, err, timings, ttfb, usage: usage ?? null, route, served,
      summaries, fallbacks, failovers, attempts, answer: deps.logBodies ? answer.join("") : null, logBodies: deps.logBodies,
    });
    deps.observer.finished(record);
    const log = { request_id: req.requestId, model: req.model, provider: route?.provider, outcome, status: httpStatus, timings, usage, attempts };
    if (outcome === "upstream_error") deps.logger.warn({ ...log, code: err?.code, err: err?.message }, "request failed");
    else deps.logger.info(log, outcome === "ok" ? "request completed" : "client disconnected; upstream and summaries cancelled");
  };

  if (plan.candidates.length === 0) {
    const err = noProvider(plan);
    finish("upstream_error", sink.fail(err), err);
    return;
  }

  // A failed summary often means the upstream itself is down. Its fallback waits for the
  // upstream's headers, so an unreachable upstream still gets a clean JSON status, not a stream.
  let upstreamOpened!: () => void;
  const opened = new Promise<void>((resolve) => (upstreamOpened = resolve));
  const summaryPlan = deps.router.plan(req.summaryModel, { kind: "summary" });
  const complete = (body: Record<string, unknown>, s: AbortSignal) =>
    completeVia(summaryPlan, (model) => ({ ...body, model }), s, deps, req.requestId);

  const promptTask = deps
    .summarize({ kind: "prompt", text: promptText(req.messages), model: req.summaryModel, signal, complete })
    .then(async (r) => {
      timings.prompt_summary = elapsed();
      if (r.failure) {
        await opened;
        out.error("prompt_summary", r.failure);
      }
      out.promptSummary(r.text, r.source);
    });
  promptTask.catch(() => undefined); // only rejects on cancellation; awaited below otherwise

  let reasoning = createReasoningCollector(deps.maxReasoningChars);
  let reasoningTask: Promise<void> | undefined;
  const onReasoningEnd = (): void => {
    if (reasoningTask) return; // a failover's second stream: its reasoning was already summarised
    timings.reasoning_end = elapsed();
    const text = reasoning.text();
    if (text.trim() === "") {
      reasoningTask = Promise.resolve();
      out.reasoningSummary("", "empty");
      return;
    }
    reasoningTask = deps.summarize({ kind: "reasoning", text, model: req.summaryModel, signal, complete }).then((r) => {
      timings.reasoning_summary = elapsed();
      if (r.failure) out.error("reasoning_summary", r.failure);
      out.reasoningSummary(r.text, r.source);
    });
    reasoningTask.catch(() => undefined);
  };
  const handle = (parts: ParsedPart[]): void => {
    for (const p of parts) {
      if (p.type === "reasoning") {
        if (!reasoningTask) reasoning.append(p.text);
      } else if (p.type === "answer") out.answer(p.text);
      else onReasoningEnd();
    }
  };

  try {
    let lastError: UpstreamError | undefined;
    for (const [i, c] of plan.candidates.entries()) {
      if (!deps.router.acquire(c)) continue;
      route = { provider: c.provider.id, strategy: plan.strategy, reason: plan.reason, attempts: attempts + 1 };
      sink.provider?.(c.provider.id);
      // A native API with its own reasoning field needs no tag instruction (issue 15).
      const providerMode = mode === "auto" && reportsNativeReasoning(c.provider.target) ? "fields" : mode;
      const separator = createReasoningSeparator({ mode: providerMode, useReasoningFields: deps.parseReasoningFields });
      try {
        const upstream = await deps.client.stream(c.provider.target, buildUpstreamBody(req, providerMode, c.upstreamModel), signal, {
          maxRetries: retriesFor(plan, i, deps.maxRetries),
          onRetry: ({ attempt, error }) => deps.observer.retry({ id: req.requestId, provider: c.provider.id, attempt, status: error.status, code: error.code }),
        });
        attempts += upstream.attempts;
        route.attempts = attempts;
        ttfb = elapsed();
        upstreamOpened();
        for await (const d of upstream.deltas) {
          if (d.content !== undefined || d.reasoning !== undefined) handle(separator.push(d));
          if (d.finishReason !== undefined) finishReason = d.finishReason;
          if (d.usage !== undefined) usage = d.usage;
        }
        handle(separator.end());
        deps.router.success(c, ttfb);
        served = c;
        break;
      } catch (e) {
        lastError = asUpstreamError(e);
        if (clientSignal.aborted) throw lastError;
        attempts++;
        reportFailure(deps.router, c, lastError);
        const next = plan.candidates[i + 1];
        if (out.outputStarted || !lastError.failoverable || !next) break;
        // Nothing of this provider's answer reached the client: drop it and start over elsewhere.
        failovers++;
        deps.observer.failover({ id: req.requestId, from: c.provider.id, to: next.provider.id, reason: lastError.code });
        deps.logger.warn({ request_id: req.requestId, from: c.provider.id, to: next.provider.id, code: lastError.code }, "failing over");
        out.discardHeld();
        if (!reasoningTask) reasoning = createReasoningCollector(deps.maxReasoningChars);
      } finally {
        deps.router.release(c);
      }
    }
    if (!served) {
      const err = lastError ?? noProvider(plan);
      finish("upstream_error", sink.fail(err), err);
      return;
    }
    await Promise.all([promptTask, reasoningTask]);
    timings.total = elapsed();
    out.done({ finish_reason: finishReason, ...(usage && { usage }), timings, ...(route && { route }) });
    finish("ok", 200);
  } catch (e) {
    if (!clientSignal.aborted) throw e;
    finish("client_closed", 499);
  } finally {
    stop.abort(FINISHED);
    stop.dispose();
  }
}

function metadataCategory(passthrough: Record<string, unknown>): unknown {
  const m = passthrough.metadata;
  return typeof m === "object" && m !== null && "category" in m ? m.category : undefined;
}
