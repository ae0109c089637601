import type { RouteInfo, Usage, RequestOutcome, RequestRecord, ValidationRecord } from "../events/index.js";
// Type-only: the record shape belongs to the pipeline (its index does not re-export it yet).
import { COLUMN_LIMITS, bounded, boundedOrNull, storableJson } from "./storable.js";

/** The `requests` columns in insert order; `toParams` returns values in the same order. */
export const COLUMNS = [
  "id",
  "started_at",
  "ended_at",
  "model",
  "summary_model",
  "stream",
  "provider",
  "route",
  "outcome",
  "http_status",
  "error_code",
  "error_message",
  "prompt_summary_ms",
  "reasoning_end_ms",
  "reasoning_summary_ms",
  "first_output_ms",
  "total_ms",
  "upstream_ttfb_ms",
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "usage_extra",
  "cost_usd",
  "prompt_summary",
  "prompt_summary_source",
  "reasoning_summary",
  "reasoning_summary_source",
  "summary_fallbacks",
  "retries",
  "failovers",
  "request_body",
  "answer",
  "key_name",
  "validation",
] as const;

/** A row as both drivers return it: timestamptz → Date, jsonb → parsed, int/float8 → number. */
export interface RequestRow {
  id: string;
  started_at: Date;
  ended_at: Date;
  model: string;
  summary_model: string;
  stream: boolean;
  provider: string | null;
  route: RouteInfo | null;
  outcome: string;
  http_status: number;
  error_code: string | null;
  error_message: string | null;
  prompt_summary_ms: number | null;
  reasoning_end_ms: number | null;
  reasoning_summary_ms: number | null;
  first_output_ms: number | null;
  total_ms: number;
  upstream_ttfb_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  usage_extra: Record<string, unknown> | null;
  cost_usd: number | null;
  prompt_summary: string | null;
  prompt_summary_source: string | null;
  reasoning_summary: string | null;
  reasoning_summary_source: string | null;
  summary_fallbacks: number;
  retries: number;
  failovers: number;
  request_body: unknown;
  answer: string | null;
  key_name: string | null;
  validation: ValidationRecord | null;
}

/** A record the database can never accept; writing it again would fail again. */
export class InvalidRecordError extends Error {
  override readonly name = "InvalidRecordError";
}

// Text a client influenced is made storable and cut to its column's limit (storable.ts): a row is
// never refused for its content, and a cut value says that it was cut.
const L = COLUMN_LIMITS;
const text = boundedOrNull;
const json = storableJson;

// Integer columns reject "12.5"; timings measured with sub-ms clocks are rounded instead.
const int = (n: number | null | undefined): number | null => (typeof n === "number" && Number.isFinite(n) ? Math.round(n) : null);
const required = (n: number, field: string): number => {
  const v = int(n);
  if (v === null) throw new InvalidRecordError(`${field} is not a finite number`);
  return v;
};
const date = (d: Date, field: string): Date => {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new InvalidRecordError(`${field} is not a valid date`);
  return d;
};

/**
 * Turns a record into insert parameters (same order as `COLUMNS`); throws `InvalidRecordError`.
 * `id` replaces the record's id (a resent request id is stored under a suffixed one).
 */
export function toParams(r: RequestRecord, id = r.id): unknown[] {
  const { prompt_tokens, completion_tokens, total_tokens, ...extra } = r.usage ?? {};
  try {
    return [
      bounded(id, L.id),
      date(r.startedAt, "startedAt"),
      date(r.endedAt, "endedAt"),
      bounded(r.model, L.model),
      bounded(r.summaryModel, L.summary_model),
      r.stream,
      text(r.provider, L.provider),
      json(r.route),
      bounded(r.outcome, L.outcome),
      required(r.httpStatus, "httpStatus"),
      text(r.errorCode, L.error_code),
      text(r.errorMessage, L.error_message),
      int(r.timings.prompt_summary),
      int(r.timings.reasoning_end),
      int(r.timings.reasoning_summary),
      int(r.timings.first_output),
      required(r.timings.total, "timings.total"),
      int(r.upstreamTtfbMs),
      int(prompt_tokens),
      int(completion_tokens),
      int(total_tokens),
      r.usage === null ? null : json(extra),
      typeof r.costUsd === "number" && Number.isFinite(r.costUsd) ? r.costUsd : null,
      text(r.promptSummary?.text, L.summary),
      text(r.promptSummary?.source, L.summary_source),
      text(r.reasoningSummary?.text, L.summary),
      text(r.reasoningSummary?.source, L.summary_source),
      required(r.summaryFallbacks, "summaryFallbacks"),
      required(r.retries, "retries"),
      required(r.failovers, "failovers"),
      json(r.requestBody),
      text(r.answer, L.answer),
      text(r.keyName ?? null, L.keyName),
      json(r.validation ?? null),
    ];
  } catch (err) {
    // JSON.stringify throws on cycles and BigInt: a property of this record, not of the database.
    if (err instanceof InvalidRecordError) throw err;
    throw new InvalidRecordError(`record ${r.id} cannot be serialised: ${String(err)}`);
  }
}

/** Maps a row back to exactly the record that was written. */
export function fromRow(row: RequestRow): RequestRecord {
  const tokens: Usage = {};
  if (row.prompt_tokens !== null) tokens.prompt_tokens = row.prompt_tokens;
  if (row.completion_tokens !== null) tokens.completion_tokens = row.completion_tokens;
  if (row.total_tokens !== null) tokens.total_tokens = row.total_tokens;
  return {
    id: row.id,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    model: row.model,
    summaryModel: row.summary_model,
    stream: row.stream,
    provider: row.provider,
    route: row.route,
    outcome: row.outcome as RequestOutcome,
    httpStatus: row.http_status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    timings: {
      prompt_summary: row.prompt_summary_ms,
      reasoning_end: row.reasoning_end_ms,
      reasoning_summary: row.reasoning_summary_ms,
      first_output: row.first_output_ms,
      total: row.total_ms,
    },
    upstreamTtfbMs: row.upstream_ttfb_ms,
    usage: row.usage_extra === null ? null : { ...row.usage_extra, ...tokens },
    costUsd: row.cost_usd,
    promptSummary: summary(row.prompt_summary, row.prompt_summary_source),
    reasoningSummary: summary(row.reasoning_summary, row.reasoning_summary_source),
    summaryFallbacks: row.summary_fallbacks,
    retries: row.retries,
    failovers: row.failovers,
    requestBody: row.request_body,
    answer: row.answer,
    // Absent rather than null when keys were off, so a record without one round-trips exactly.
    ...(row.key_name !== null && { keyName: row.key_name }),
    ...(row.validation !== null && { validation: row.validation }),
  };
}

function summary(text: string | null, source: string | null): { text: string; source: string } | null {
  return text === null || source === null ? null : { text, source };
}

/** What the writer inserts: a record, the id it is stored under, and its write key. */
export interface RowToInsert {
  record: RequestRecord;
  /** The record's id, or a suffixed one when a resent request id already has a row. */
  id: string;
  /**
   * Unique per record (writer instance + sequence number). A retried batch whose first attempt
   * did commit finds its own key on the conflicting row and knows the row is already there; a
   * different key means another request used the same id.
   */
  writeKey: string;
}

/** Every column an INSERT fills: the record's, then the write key. */
export const INSERT_COLUMNS = [...COLUMNS, "write_key"] as const;

// PostgreSQL allows 65 535 parameters per statement; a larger batch is split.
export const MAX_ROWS_PER_INSERT = Math.floor(65_535 / INSERT_COLUMNS.length);

/**
 * One multi-row INSERT. `ON CONFLICT DO NOTHING` never fails a batch on an id that exists;
 * `RETURNING write_key` says which rows landed, so the writer can look at the others.
 */
export function insertStatement(rows: readonly RowToInsert[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples = rows.map((r) => {
    const base = params.length;
    params.push(...toParams(r.record, r.id), r.writeKey);
    return `(${INSERT_COLUMNS.map((_, i) => `$${base + i + 1}`).join(", ")})`;
  });
  const sql = `INSERT INTO requests (${INSERT_COLUMNS.join(", ")}) VALUES ${tuples.join(", ")} ON CONFLICT (id) DO NOTHING RETURNING write_key`;
  return { sql, params };
}
