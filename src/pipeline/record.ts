import type { RouteInfo, Timings, Usage, RequestOutcome, RequestRecord, ValidationRecord } from "../events/index.js";
import type { Candidate } from "../providers/index.js";
import type { StagedRequest } from "./request.js";

export interface RecordInput {
  req: StagedRequest;
  startedAt: number;
  endedAt: number;
  outcome: RequestOutcome;
  httpStatus: number;
  /** Why it failed, when it did. */
  err: { code: string; message: string } | undefined;
  timings: Timings;
  ttfb: number | null;
  usage: Usage | null;
  route: RouteInfo | null;
  served: Candidate | undefined;
  summaries: { prompt?: { text: string; source: string }; reasoning?: { text: string; source: string } };
  fallbacks: number;
  failovers: number;
  /** Upstream calls that repeated one to the same provider (schema retries are not these). */
  retries: number;
  answer: string | null;
  logBodies: boolean;
  /** Schema-checked requests: the report and its tries. */
  validation?: ValidationRecord | undefined;
  /** Answers dropped for failing their schema: they cost what they cost, though the client never saw them. */
  discarded?: readonly { usage: Usage | undefined; candidate: Candidate }[];
}

/** The request-log row and metrics sample for one finished request. */
export function buildRecord(i: RecordInput): RequestRecord {
  return {
    id: i.req.requestId,
    startedAt: new Date(i.startedAt),
    endedAt: new Date(i.endedAt),
    model: i.req.model,
    summaryModel: i.req.summaryModel,
    stream: i.req.stream,
    provider: i.route?.provider ?? null,
    route: i.route,
    outcome: i.outcome,
    httpStatus: i.httpStatus,
    errorCode: i.err?.code ?? null,
    errorMessage: i.err?.message ?? null,
    timings: { ...i.timings },
    upstreamTtfbMs: i.ttfb,
    usage: i.usage,
    costUsd: totalCost(i),
    promptSummary: i.summaries.prompt ?? null,
    reasoningSummary: i.summaries.reasoning ?? null,
    summaryFallbacks: i.fallbacks,
    retries: i.retries,
    failovers: i.failovers,
    requestBody: i.logBodies ? i.req.body : null,
    answer: i.answer,
    ...(i.req.keyName !== undefined && { keyName: i.req.keyName }),
    ...(i.validation && { validation: i.validation }),
  };
}

/** The answer's cost plus that of the answers dropped for failing their schema; null when none is known. */
function totalCost(i: RecordInput): number | null {
  const parts = [cost(i.usage, i.served), ...(i.discarded ?? []).map((d) => cost(d.usage ?? null, d.candidate))].filter((c): c is number => c !== null);
  return parts.length === 0 ? null : parts.reduce((a, b) => a + b, 0);
}

/** Estimated from the served provider's price list; null when either is unknown. */
function cost(usage: Usage | null, served: Candidate | undefined): number | null {
  const price = served?.provider.cost;
  if (!usage || !price) return null;
  const input = typeof usage.prompt_tokens === "number" ? usage.prompt_tokens : 0;
  const output = typeof usage.completion_tokens === "number" ? usage.completion_tokens : 0;
  return (input * price.input_per_mtok + output * price.output_per_mtok) / 1_000_000;
}

/** A request refused before any upstream call (validation, allowlist, body size). */
export function rejectedRecord(i: {
  id: string;
  model: string | undefined;
  at: number;
  status: number;
  code: string;
  message: string;
  keyName?: string | undefined;
}): RequestRecord {
  return {
    id: i.id,
    startedAt: new Date(i.at),
    endedAt: new Date(i.at),
    model: i.model ?? "(none)",
    summaryModel: i.model ?? "(none)",
    stream: true,
    provider: null,
    route: null,
    outcome: "rejected",
    httpStatus: i.status,
    errorCode: i.code,
    errorMessage: i.message,
    timings: { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 0 },
    upstreamTtfbMs: null,
    usage: null,
    costUsd: null,
    promptSummary: null,
    reasoningSummary: null,
    summaryFallbacks: 0,
    retries: 0,
    failovers: 0,
    requestBody: null,
    answer: null,
    ...(i.keyName !== undefined && { keyName: i.keyName }),
  };
}
