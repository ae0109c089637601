import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RequestObserver, RequestRecord } from "../events/index.js";
import { createLabelCap, isLabelSafe } from "./label-cap.js";

/** A provider's circuit state, as the providers room reports it. */
export type CircuitState = "active" | "cooldown" | "open" | "half_open" | "unhealthy";
export const CIRCUIT_STATES: readonly CircuitState[] = ["active", "cooldown", "open", "half_open", "unhealthy"];

/** Stage latencies span a cached 5 ms summary to a two-minute reasoning run. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

/** Model label values kept before the rest collapse into "other". */
export const DEFAULT_MAX_MODEL_LABELS = 50;
export const OTHER_LABEL = "other";

export interface MetricsOptions {
  /** Node process metrics (`process_*`, `nodejs_*`); default true. */
  defaultMetrics?: boolean;
  /** Distinct unconfigured `model` label values before "other"; default 50. */
  maxModelLabels?: number;
  /**
   * Model names from the configuration (ALLOW_MODELS, route names, provider mappings, the summary
   * default): always their own label. Any other name gets a label only once the upstream served it.
   */
  knownModels?: Iterable<string>;
  /** Labels on every series, e.g. `{ instance }` so Prometheus can tell replicas apart. */
  defaultLabels?: Record<string, string>;
}

export interface Metrics {
  readonly registry: Registry;
  readonly observer: RequestObserver;
  cooldown(provider: string): void;
  setCircuitState(provider: string, state: CircuitState): void;
  /** Cloud-only mode: 1 while JSON requests skip this provider (its answers keep failing their schema). */
  setJsonSkipped(provider: string, skipped: boolean): void;
  /** The request log dropped `n` records (queue full or write failed). */
  logDropped(n?: number): void;
  /** The Prometheus exposition text for `GET /metrics`. */
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * Creates the gateway's Prometheus metrics on a registry of their own. Never the global default
 * registry: tests, and several apps in one process, would otherwise collide on metric names.
 */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultLabels) registry.setDefaultLabels(opts.defaultLabels);
  const registers = [registry];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Model names come straight from request bodies, so an unbounded label would let any client
  // mint time series at will. Configured names are labels of their own; other names must be short
  // and printable, and the first N the upstream actually served keep their names; everything else
  // (a rejected request's name above all) is "other".
  const known = new Set(opts.knownModels ?? []);
  const cap = createLabelCap(opts.maxModelLabels ?? DEFAULT_MAX_MODEL_LABELS, OTHER_LABEL);
  const modelLabel = (r: RequestRecord): string => {
    if (!isLabelSafe(r.model)) return OTHER_LABEL;
    return known.has(r.model) ? r.model : cap(r.model, r.outcome === "ok");
  };

  const requests = new Counter({
    name: "gateway_requests_total",
    help: "Finished requests.",
    labelNames: ["model", "provider", "outcome", "status"] as const,
    registers,
  });
  const seconds = (name: string, help: string): Histogram<"model"> =>
    new Histogram({ name, help, labelNames: ["model"] as const, buckets: [...LATENCY_BUCKETS_SECONDS], registers });
  const stageHistograms = {
    promptSummary: seconds("gateway_prompt_summary_seconds", "Time from accept to the prompt summary."),
    upstreamTtfb: seconds("gateway_upstream_ttfb_seconds", "Time from accept to the upstream's response headers."),
    reasoningEnd: seconds("gateway_reasoning_end_seconds", "Time from accept to the end of the model's reasoning."),
    reasoningSummary: seconds("gateway_reasoning_summary_seconds", "Time from accept to the reasoning summary."),
    firstOutput: seconds("gateway_first_output_seconds", "Time from accept to the first output delta."),
    total: seconds("gateway_request_duration_seconds", "Time from accept to the end of the request."),
  };
  const retries = new Counter({
    name: "gateway_upstream_retries_total",
    help: "Upstream retries before the first body byte.",
    labelNames: ["provider"] as const,
    registers,
  });
  const failovers = new Counter({
    name: "gateway_failovers_total",
    help: "Failovers from one provider to another.",
    labelNames: ["from", "to"] as const,
    registers,
  });
  const summaryFallbacks = new Counter({
    name: "gateway_summary_fallbacks_total",
    help: "Summaries replaced by the sentence fallback.",
    labelNames: ["stage"] as const,
    registers,
  });
  const progressCalls = new Counter({
    name: "gateway_progress_summaries_total",
    help: "Progress-summary ticks by outcome: sent, skipped_busy (one still in flight), failed, cancelled (in flight when the reasoning ended).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const progressSeconds = new Histogram({
    name: "gateway_progress_summary_seconds",
    help: "Duration of progress-summary calls that were sent.",
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers,
  });
  // Schema-validated answers (the hybrid-inference seed's fallback_validation_failures and cloud_escalation_count).
  const validations = new Counter({
    name: "gateway_validations_total",
    help: "Answers checked against their response_format schema, by the provider that gave them and the outcome (valid, invalid).",
    labelNames: ["provider", "outcome"] as const,
    registers,
  });
  const validationRetries = new Counter({
    name: "gateway_validation_retries_total",
    help: "Constrained retries on the same provider after an answer failed its schema.",
    labelNames: ["provider"] as const,
    registers,
  });
  const escalations = new Counter({
    name: "gateway_escalations_total",
    help: "Moves to another provider (a higher tier first) after answers failed their schema.",
    labelNames: ["from", "to"] as const,
    registers,
  });
  const unrecognised = new Counter({
    name: "gateway_unrecognised_reasoning_total",
    help: "Streams of a model in auto mode whose plain answer held a lone </think>: R1-style reasoning shown to the user. Set MODEL_CAPABILITIES=<model>=think for it.",
    labelNames: ["model"] as const,
    registers,
  });
  const disconnects = new Counter({ name: "gateway_client_disconnects_total", help: "Requests the client left before the end.", registers });
  const tokens = new Counter({ name: "gateway_tokens_total", help: "Tokens reported by the upstream.", labelNames: ["model", "kind"] as const, registers });
  const cost = new Counter({ name: "gateway_cost_usd_total", help: "Estimated upstream cost in US dollars.", labelNames: ["model"] as const, registers });
  const cooldowns = new Counter({
    name: "gateway_provider_cooldowns_total",
    help: "Times a provider was put in cooldown.",
    labelNames: ["provider"] as const,
    registers,
  });
  const dropped = new Counter({ name: "gateway_request_log_dropped_total", help: "Request-log records dropped.", registers });
  const inFlight = new Gauge({ name: "gateway_streams_in_flight", help: "Requests started and not yet finished.", registers });
  const circuit = new Gauge({
    name: "gateway_provider_circuit_state",
    help: "1 for a provider's current circuit state, 0 for the others.",
    labelNames: ["provider", "state"] as const,
    registers,
  });
  const jsonSkipped = new Gauge({
    name: "gateway_provider_json_skipped",
    help: "1 while JSON requests (response_format) skip the provider because its answers keep failing their schema.",
    labelNames: ["provider"] as const,
    registers,
  });

  // Ids seen by started(): finished() only decrements for these, so a request rejected before
  // started() (or a duplicate finished()) can never push the gauge below zero.
  const open = new Set<string>();

  function observeMs(h: Histogram<"model">, model: string, ms: number | null): void {
    if (ms !== null && Number.isFinite(ms) && ms >= 0) h.observe({ model }, ms / 1000);
  }

  function finished(r: RequestRecord): void {
    if (open.delete(r.id)) inFlight.dec();
    const model = modelLabel(r);
    requests.inc({ model, provider: r.provider ?? "none", outcome: r.outcome, status: String(r.httpStatus) });
    if (r.outcome === "client_closed") disconnects.inc();
    observeMs(stageHistograms.promptSummary, model, r.timings.prompt_summary);
    observeMs(stageHistograms.upstreamTtfb, model, r.upstreamTtfbMs);
    observeMs(stageHistograms.reasoningEnd, model, r.timings.reasoning_end);
    observeMs(stageHistograms.reasoningSummary, model, r.timings.reasoning_summary);
    observeMs(stageHistograms.firstOutput, model, r.timings.first_output);
    observeMs(stageHistograms.total, model, r.timings.total);
    const { prompt_tokens: prompt, completion_tokens: completion } = r.usage ?? {};
    if (typeof prompt === "number" && prompt > 0) tokens.inc({ model, kind: "prompt" }, prompt);
    if (typeof completion === "number" && completion > 0) tokens.inc({ model, kind: "completion" }, completion);
    if (r.costUsd !== null && r.costUsd > 0) cost.inc({ model }, r.costUsd);
  }

  const observer: RequestObserver = {
    started({ id }) {
      if (open.has(id)) return;
      open.add(id);
      inFlight.inc();
    },
    retry: ({ provider }) => retries.inc({ provider }),
    failover: ({ from, to }) => failovers.inc({ from, to }),
    summaryFallback: ({ stage }) => summaryFallbacks.inc({ stage }),
    progress({ outcome, latencyMs }) {
      progressCalls.inc({ outcome });
      if (latencyMs !== undefined) progressSeconds.observe(latencyMs / 1000);
    },
    // The upstream served this model, so its name may take one of the capped label slots.
    unrecognisedReasoning: ({ model }) => unrecognised.inc({ model: !isLabelSafe(model) ? OTHER_LABEL : known.has(model) ? model : cap(model, true) }),
    validation({ provider, valid, next }) {
      validations.inc({ provider, outcome: valid ? "valid" : "invalid" });
      if (next?.action === "retry") validationRetries.inc({ provider });
      else if (next?.action === "escalate") escalations.inc({ from: provider, to: next.to });
    },
    finished,
  };

  return {
    registry,
    observer,
    cooldown: (provider) => cooldowns.inc({ provider }),
    setCircuitState(provider, state) {
      for (const s of CIRCUIT_STATES) circuit.set({ provider, state: s }, s === state ? 1 : 0);
    },
    setJsonSkipped: (provider, skipped) => jsonSkipped.set({ provider }, skipped ? 1 : 0),
    logDropped(n = 1) {
      if (n > 0) dropped.inc(n);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
