import type { Logger } from "pino";
import type { CapabilityMode } from "../config/index.js";
import type { StagedEvent, Timings, Usage } from "../events/index.js";
import { createReasoningCollector, createReasoningSeparator, resolveCapability, type ParsedPart } from "../reasoning/index.js";
import type { Summarize } from "../summaries/index.js";
import { UpstreamError, type UpstreamClient, type UpstreamTarget } from "../upstream/index.js";
import { createOrderedEmitter } from "./ordering.js";
import { buildUpstreamBody, promptText, type StagedRequest } from "./request.js";

export interface PipelineDeps {
  client: UpstreamClient;
  summarize: Summarize;
  target: UpstreamTarget;
  now: () => number;
  logger: Logger;
  maxReasoningChars: number;
  parseReasoningFields: boolean;
  capabilities: { pattern: string; mode: CapabilityMode }[];
}

/** Where a request's output goes. `fail` ends it: the HTTP layer picks JSON or an `error` event. */
export interface StageSink {
  event(e: StagedEvent): void;
  fail(e: UpstreamError): void;
}

/**
 * One request, start to finish: the prompt summary and the upstream stream start together; the
 * reasoning summary starts the moment reasoning ends. Everything shares one AbortSignal, so a
 * client that leaves, or an upstream that fails, stops all three calls at once.
 */
export async function runStaged(req: StagedRequest, deps: PipelineDeps, sink: StageSink, clientSignal: AbortSignal): Promise<void> {
  const started = deps.now();
  const elapsed = () => Math.round(deps.now() - started);
  const timings: Timings = { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 0 };
  const stop = new AbortController();
  const signal = AbortSignal.any([clientSignal, stop.signal]);
  const out = createOrderedEmitter(req.requestId, (e) => sink.event(e), () => (timings.first_output = elapsed()));
  const mode = resolveCapability(req.model, deps.capabilities);
  const separator = createReasoningSeparator({ mode, useReasoningFields: deps.parseReasoningFields });
  const reasoning = createReasoningCollector(deps.maxReasoningChars);

  // A failed summary often means the upstream itself is down. Its fallback waits for the
  // upstream's headers, so an unreachable upstream still gets a clean JSON status, not a stream.
  let upstreamOpened!: () => void;
  const opened = new Promise<void>((resolve) => (upstreamOpened = resolve));

  const promptTask = deps
    .summarize({ kind: "prompt", text: promptText(req.messages), model: req.summaryModel, target: deps.target, signal })
    .then(async (r) => {
      timings.prompt_summary = elapsed();
      if (r.failure) {
        await opened;
        out.error("prompt_summary", r.failure);
      }
      out.promptSummary(r.text, r.source);
    });
  promptTask.catch(() => undefined); // only rejects on cancellation; awaited below otherwise

  let reasoningTask: Promise<void> = Promise.resolve();
  const onReasoningEnd = (): void => {
    timings.reasoning_end = elapsed();
    const text = reasoning.text();
    if (text.trim() === "") {
      out.reasoningSummary("", "empty");
      return;
    }
    reasoningTask = deps
      .summarize({ kind: "reasoning", text, model: req.summaryModel, target: deps.target, signal })
      .then((r) => {
        timings.reasoning_summary = elapsed();
        if (r.failure) out.error("reasoning_summary", r.failure);
        out.reasoningSummary(r.text, r.source);
      });
    reasoningTask.catch(() => undefined);
  };
  const handle = (parts: ParsedPart[]): void => {
    for (const p of parts) {
      if (p.type === "reasoning") reasoning.append(p.text);
      else if (p.type === "answer") out.answer(p.text);
      else onReasoningEnd();
    }
  };

  let finishReason: string | null = null;
  let usage: Usage | undefined;
  try {
    const upstream = await deps.client.stream(deps.target, buildUpstreamBody(req, mode), signal);
    upstreamOpened();
    for await (const d of upstream.deltas) {
      if (d.content !== undefined || d.reasoning !== undefined) handle(separator.push(d));
      if (d.finishReason !== undefined) finishReason = d.finishReason;
      if (d.usage !== undefined) usage = d.usage;
    }
    handle(separator.end());
    await Promise.all([promptTask, reasoningTask]);
    timings.total = elapsed();
    out.done({ finish_reason: finishReason, ...(usage && { usage }), timings });
    deps.logger.info({ request_id: req.requestId, model: req.model, attempts: upstream.attempts, timings, usage }, "request completed");
  } catch (e) {
    if (clientSignal.aborted) {
      deps.logger.info({ request_id: req.requestId, model: req.model, elapsed_ms: elapsed() }, "client disconnected; upstream and summaries cancelled");
      return;
    }
    const err = e instanceof UpstreamError ? e : new UpstreamError({ kind: "stream", message: String(e), retryable: false, cause: e });
    deps.logger.warn({ request_id: req.requestId, model: req.model, code: err.code, status: err.status, err: err.message }, "upstream failed");
    sink.fail(err);
  } finally {
    stop.abort();
  }
}
