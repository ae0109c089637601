import type { RequestRecord } from "../../../src/events/observer.js";

/** A finished request with plausible defaults; override what the test is about. */
export function makeRecord(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: "req-1",
    startedAt: new Date("2025-01-01T00:00:00.000Z"),
    endedAt: new Date("2025-01-01T00:00:01.000Z"),
    model: "m1",
    summaryModel: "m1",
    stream: true,
    provider: "p1",
    route: null,
    outcome: "ok",
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    timings: { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 1000 },
    upstreamTtfbMs: null,
    usage: null,
    costUsd: null,
    promptSummary: null,
    reasoningSummary: null,
    summaryFallbacks: 0,
    retries: 0,
    failovers: 0,
    requestBody: undefined,
    answer: null,
    ...overrides,
  };
}
