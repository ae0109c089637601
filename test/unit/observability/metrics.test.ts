import { describe, expect, it } from "vitest";
import { createMetrics, LATENCY_BUCKETS_SECONDS } from "../../../src/observability/index.js";
import { find, parseProm, value, type Sample } from "../../helpers/prom.js";
import { makeRecord } from "./helpers.js";

async function scrape(m: ReturnType<typeof createMetrics>): Promise<Sample[]> {
  return parseProm((await m.render()).body);
}

describe("createMetrics", () => {
  it("counts finished requests by model, provider, outcome and status", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observer.finished(makeRecord({ id: "a" }));
    m.observer.finished(makeRecord({ id: "b" }));
    m.observer.finished(makeRecord({ id: "c", outcome: "upstream_error", httpStatus: 502, provider: "p2" }));
    m.observer.finished(makeRecord({ id: "d", outcome: "rejected", httpStatus: 403, provider: null }));
    m.observer.finished(makeRecord({ id: "e", outcome: "client_closed", httpStatus: 200 }));
    const s = await scrape(m);
    const req = (labels: Record<string, string>): number => value(s, "gateway_requests_total", labels);
    expect(req({ model: "m1", provider: "p1", outcome: "ok", status: "200" })).toBe(2);
    expect(req({ model: "m1", provider: "p2", outcome: "upstream_error", status: "502" })).toBe(1);
    expect(req({ model: "m1", provider: "none", outcome: "rejected", status: "403" })).toBe(1);
    expect(req({ model: "m1", provider: "p1", outcome: "client_closed", status: "200" })).toBe(1);
    expect(find(s, "gateway_requests_total")).toHaveLength(4);
    expect(value(s, "gateway_client_disconnects_total")).toBe(1);
  });

  it("feeds the stage histograms in seconds and skips stages that never happened", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observer.finished(
      makeRecord({
        id: "a",
        timings: { prompt_summary: 120, reasoning_end: 2000, reasoning_summary: 2600, first_output: 2700, total: 4000 },
        upstreamTtfbMs: 40,
      }),
    );
    m.observer.finished(
      makeRecord({ id: "b", timings: { prompt_summary: 300, reasoning_end: null, reasoning_summary: null, first_output: 900, total: 1500 } }),
    );
    const s = await scrape(m);
    const count = (h: string): number => value(s, `${h}_count`, { model: "m1" });
    const sum = (h: string): number => value(s, `${h}_sum`, { model: "m1" });

    expect(count("gateway_prompt_summary_seconds")).toBe(2);
    expect(sum("gateway_prompt_summary_seconds")).toBeCloseTo(0.42, 9);
    expect(count("gateway_upstream_ttfb_seconds")).toBe(1);
    expect(sum("gateway_upstream_ttfb_seconds")).toBeCloseTo(0.04, 9);
    expect(count("gateway_reasoning_end_seconds")).toBe(1);
    expect(sum("gateway_reasoning_end_seconds")).toBeCloseTo(2, 9);
    expect(count("gateway_reasoning_summary_seconds")).toBe(1);
    expect(sum("gateway_reasoning_summary_seconds")).toBeCloseTo(2.6, 9);
    expect(count("gateway_first_output_seconds")).toBe(2);
    expect(sum("gateway_first_output_seconds")).toBeCloseTo(3.6, 9);
    expect(count("gateway_request_duration_seconds")).toBe(2);
    expect(sum("gateway_request_duration_seconds")).toBeCloseTo(5.5, 9);

    // Cumulative buckets: 0.12 s falls in le=0.25, 0.3 s first in le=0.5.
    const bucket = (le: string): number => value(s, "gateway_prompt_summary_seconds_bucket", { model: "m1", le });
    expect(bucket("0.1")).toBe(0);
    expect(bucket("0.25")).toBe(1);
    expect(bucket("0.5")).toBe(2);
    expect(bucket("+Inf")).toBe(2);
    const les = find(s, "gateway_request_duration_seconds_bucket").map((b) => b.labels.le);
    expect(les).toEqual([...LATENCY_BUCKETS_SECONDS.map(String), "+Inf"]);
    expect(LATENCY_BUCKETS_SECONDS[0]).toBe(0.005);
    expect(LATENCY_BUCKETS_SECONDS.at(-1)).toBe(120);
  });

  it("counts tokens and cost from usage", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observer.finished(makeRecord({ id: "a", usage: { prompt_tokens: 10, completion_tokens: 32, total_tokens: 42 }, costUsd: 0.25 }));
    m.observer.finished(makeRecord({ id: "b", usage: { prompt_tokens: 5 }, costUsd: 0.5 }));
    m.observer.finished(makeRecord({ id: "c", usage: null, costUsd: null }));
    const s = await scrape(m);
    expect(value(s, "gateway_tokens_total", { model: "m1", kind: "prompt" })).toBe(15);
    expect(value(s, "gateway_tokens_total", { model: "m1", kind: "completion" })).toBe(32);
    expect(value(s, "gateway_cost_usd_total", { model: "m1" })).toBeCloseTo(0.75, 9);
  });

  it("takes in-flight up on started and back down on finished, never below zero", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const inFlight = async (): Promise<number> => value(await scrape(m), "gateway_streams_in_flight");
    expect(await inFlight()).toBe(0);
    m.observer.started({ id: "a", model: "m1", stream: true });
    m.observer.started({ id: "b", model: "m1", stream: true });
    m.observer.started({ id: "b", model: "m1", stream: true }); // a repeat is not a new stream
    expect(await inFlight()).toBe(2);
    m.observer.finished(makeRecord({ id: "a" }));
    expect(await inFlight()).toBe(1);
    m.observer.finished(makeRecord({ id: "a" })); // duplicate
    m.observer.finished(makeRecord({ id: "never-started", outcome: "rejected", httpStatus: 400 }));
    expect(await inFlight()).toBe(1);
    m.observer.finished(makeRecord({ id: "b" }));
    expect(await inFlight()).toBe(0);
  });

  it("counts retries, failovers, summary fallbacks, cooldowns and dropped log records", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observer.retry({ id: "a", provider: "p1", attempt: 1, status: 503, code: "upstream_unavailable" });
    m.observer.retry({ id: "a", provider: "p1", attempt: 2, status: undefined, code: "network" });
    m.observer.retry({ id: "b", provider: "p2", attempt: 1, status: 429, code: "rate_limited" });
    m.observer.failover({ id: "a", from: "p1", to: "p2", reason: "retries exhausted" });
    m.observer.summaryFallback({ id: "a", stage: "prompt_summary", code: "timeout" });
    m.observer.summaryFallback({ id: "b", stage: "prompt_summary", code: "timeout" });
    m.observer.summaryFallback({ id: "b", stage: "reasoning_summary", code: "upstream_error" });
    m.cooldown("p1");
    m.cooldown("p1");
    m.logDropped(3);
    m.logDropped();
    const s = await scrape(m);
    expect(value(s, "gateway_upstream_retries_total", { provider: "p1" })).toBe(2);
    expect(value(s, "gateway_upstream_retries_total", { provider: "p2" })).toBe(1);
    expect(value(s, "gateway_failovers_total", { from: "p1", to: "p2" })).toBe(1);
    expect(value(s, "gateway_summary_fallbacks_total", { stage: "prompt_summary" })).toBe(2);
    expect(value(s, "gateway_summary_fallbacks_total", { stage: "reasoning_summary" })).toBe(1);
    expect(value(s, "gateway_provider_cooldowns_total", { provider: "p1" })).toBe(2);
    expect(value(s, "gateway_request_log_dropped_total")).toBe(4);
  });

  it("sets exactly one circuit state to 1 per provider", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.setCircuitState("p1", "active");
    m.setCircuitState("p1", "open");
    m.setCircuitState("p2", "half_open");
    const s = await scrape(m);
    const states = (provider: string): Record<string, number> =>
      Object.fromEntries(find(s, "gateway_provider_circuit_state", { provider }).map((x) => [x.labels.state ?? "", x.value] as const));
    expect(states("p1")).toEqual({ active: 0, cooldown: 0, open: 1, half_open: 0, unhealthy: 0 });
    expect(states("p2")).toEqual({ active: 0, cooldown: 0, open: 0, half_open: 1, unhealthy: 0 });
  });

  it("caps distinct model labels and folds the rest into other", async () => {
    const m = createMetrics({ defaultMetrics: false, maxModelLabels: 2 });
    for (const [i, model] of ["a", "b", "c", "a", "d", "b"].entries()) m.observer.finished(makeRecord({ id: `r${i}`, model }));
    const s = await scrape(m);
    const byModel = Object.fromEntries(find(s, "gateway_requests_total").map((x) => [x.labels.model ?? "", x.value] as const));
    expect(byModel).toEqual({ a: 2, b: 2, other: 2 });
    expect(value(s, "gateway_request_duration_seconds_count", { model: "other" })).toBe(2);
  });

  it("keeps its own registry, with default process metrics, so instances never collide", async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.observer.finished(makeRecord());
    const out = await a.render();
    expect(out.contentType).toMatch(/^text\/plain/);
    const sa = parseProm(out.body);
    expect(find(sa, "process_cpu_user_seconds_total")).toHaveLength(1);
    expect(find(sa, "nodejs_heap_size_total_bytes")).toHaveLength(1);
    expect(find(await scrape(b), "gateway_requests_total")).toHaveLength(0);
    expect(a.registry).not.toBe(b.registry);
  });
});

describe("bounded labels", () => {
  const models = async (m: ReturnType<typeof createMetrics>): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const x of find(await scrape(m), "gateway_requests_total")) out[x.labels.model ?? ""] = (out[x.labels.model ?? ""] ?? 0) + x.value;
    return out;
  };

  it("labels a rejected request's unknown model other, and keeps configured names", async () => {
    const m = createMetrics({ defaultMetrics: false, knownModels: ["reasoning-llm"] });
    m.observer.finished(makeRecord({ id: "a", model: "made-up", outcome: "rejected", httpStatus: 400, provider: null }));
    m.observer.finished(makeRecord({ id: "b", model: "reasoning-llm", outcome: "rejected", httpStatus: 400, provider: null }));
    m.observer.finished(makeRecord({ id: "c", model: "made-up-too", outcome: "upstream_error", httpStatus: 404 }));
    expect(await models(m)).toEqual({ other: 2, "reasoning-llm": 1 });
  });

  it("gives an unconfigured name its label once the upstream served it, and rejected ones after that", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observer.finished(makeRecord({ id: "a", model: "served" }));
    m.observer.finished(makeRecord({ id: "b", model: "served", outcome: "rejected", httpStatus: 403, provider: null }));
    expect(await models(m)).toEqual({ served: 2 });
  });

  it("never lets control characters or long names into a label, even for a served request", async () => {
    const m = createMetrics({ defaultMetrics: false, knownModels: ["bad\rname"] });
    for (const [i, model] of ["a\r\nb", "nul\u0000", "bad\rname", "x".repeat(101), "ünï"].entries()) {
      m.observer.finished(makeRecord({ id: `r${i}`, model }));
    }
    expect(await models(m)).toEqual({ other: 5 });
    const body = (await m.render()).body;
    expect(body.includes("\r") || body.includes("\u0000")).toBe(false);
  });

  it("labels the record's own outcome: the one vocabulary the request log and the log line use", async () => {
    const m = createMetrics({ defaultMetrics: false, knownModels: ["m1"] });
    m.observer.finished(makeRecord({ id: "a", outcome: "stream_error", httpStatus: 200 }));
    m.observer.finished(makeRecord({ id: "b", outcome: "upstream_error", httpStatus: 502 }));
    const s = await scrape(m);
    expect(value(s, "gateway_requests_total", { model: "m1", provider: "p1", outcome: "stream_error", status: "200" })).toBe(1);
    expect(value(s, "gateway_requests_total", { model: "m1", provider: "p1", outcome: "upstream_error", status: "502" })).toBe(1);
    expect(find(s, "gateway_requests_total", { outcome: "upstream_error", status: "200" })).toHaveLength(0);
  });
});

describe("default labels", () => {
  it("puts the replica's instance label on every series, so Prometheus can tell replicas apart", async () => {
    const m = createMetrics({ defaultMetrics: true, defaultLabels: { instance: "host:42:ab" } });
    m.cooldown("alpha");
    const samples = parseProm((await m.render()).body);
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.filter((s) => s.labels.instance !== "host:42:ab")).toEqual([]);
  });
});

describe("schema-validation metrics", () => {
  it("count checked answers by provider and outcome, constrained retries per provider, escalations from → to", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observer.validation?.({ id: "a", provider: "box", valid: false, attempt: 1, errors: ["x"], next: { action: "retry" } });
    m.observer.validation?.({ id: "a", provider: "box", valid: false, attempt: 2, errors: ["x"], next: { action: "escalate", to: "cloud" } });
    m.observer.validation?.({ id: "a", provider: "cloud", valid: true, attempt: 3 });
    m.observer.validation?.({ id: "b", provider: "cloud", valid: false, attempt: 1, errors: ["x"], next: { action: "give_up" } });
    const s = await scrape(m);
    expect(value(s, "gateway_validations_total", { provider: "box", outcome: "invalid" })).toBe(2);
    expect(value(s, "gateway_validations_total", { provider: "cloud", outcome: "valid" })).toBe(1);
    expect(value(s, "gateway_validations_total", { provider: "cloud", outcome: "invalid" })).toBe(1);
    expect(value(s, "gateway_validation_retries_total", { provider: "box" })).toBe(1);
    expect(find(s, "gateway_validation_retries_total")).toHaveLength(1);
    expect(value(s, "gateway_escalations_total", { from: "box", to: "cloud" })).toBe(1);
    expect(find(s, "gateway_escalations_total")).toHaveLength(1);
  });
});
