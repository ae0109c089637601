import { describe, expect, it } from "vitest";
import { COLUMNS, INSERT_COLUMNS, InvalidRecordError, fromRow, insertStatement, toParams, type RequestRow } from "../../../src/storage/rows.js";
import { sampleRecord, sparseRecord } from "../../helpers/pg.js";
import type { RequestRecord } from "../../../src/events/observer.js";

const JSONB = new Set(["route", "usage_extra", "request_body", "validation"]);

// What a driver hands back for the parameters we sent: jsonb parsed, everything else as is.
function asRow(r: RequestRecord): RequestRow {
  const params = toParams(r);
  const row = Object.fromEntries(
    COLUMNS.map((c, i) => {
      const v = params[i];
      return [c, JSONB.has(c) && typeof v === "string" ? JSON.parse(v) : v];
    }),
  );
  return row as RequestRow;
}

describe("request rows", () => {
  it("map a full, a sparse and an empty-usage record to rows and back unchanged", () => {
    for (const r of [sampleRecord(1), sparseRecord(2), sampleRecord(3, { usage: {}, requestBody: "text" })]) {
      expect(toParams(r)).toHaveLength(COLUMNS.length);
      expect(fromRow(asRow(r))).toEqual(r);
    }
  });

  it("keep usage null apart from usage without token counts", () => {
    expect(asRow(sparseRecord(1)).usage_extra).toBeNull();
    expect(asRow(sampleRecord(1, { usage: {} })).usage_extra).toEqual({});
    expect(asRow(sampleRecord(1)).usage_extra).toEqual({ completion_tokens_details: { reasoning_tokens: 90 } });
  });

  it("round sub-millisecond timings, which integer columns would refuse", () => {
    const r = sampleRecord(1, { timings: { prompt_summary: 12.4, reasoning_end: null, reasoning_summary: 30.6, first_output: Number.NaN, total: 99.5 } });
    const row = asRow(r);
    expect([row.prompt_summary_ms, row.reasoning_end_ms, row.reasoning_summary_ms, row.first_output_ms, row.total_ms]).toEqual([12, null, 31, null, 100]);
  });

  it("remove NUL characters, which PostgreSQL text and jsonb refuse", () => {
    const row = asRow(sampleRecord(1, { answer: "a\u0000b", requestBody: { m: "c\u0000d" } }));
    expect(row.answer).toBe("ab");
    expect(row.request_body).toEqual({ m: "cd" });
  });

  it("refuse a record no database could take", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toParams(sampleRecord(1, { startedAt: new Date(Number.NaN) }))).toThrow(InvalidRecordError);
    expect(() => toParams(sampleRecord(1, { timings: { ...sampleRecord(1).timings, total: Number.NaN } }))).toThrow(InvalidRecordError);
    expect(() => toParams(sampleRecord(1, { requestBody: cyclic }))).toThrow(InvalidRecordError);
  });

  it("build one parameterised multi-row INSERT that ignores ids already written", () => {
    const rows = [1, 2, 3].map((i) => ({ record: sampleRecord(i), id: sampleRecord(i).id, writeKey: `w.${i}` }));
    const { sql, params } = insertStatement(rows);
    expect(params).toHaveLength(3 * INSERT_COLUMNS.length);
    expect(sql).toContain(`$${3 * INSERT_COLUMNS.length})`);
    expect(sql).not.toContain("req-0001");
    expect(sql.endsWith("ON CONFLICT (id) DO NOTHING RETURNING write_key")).toBe(true);
  });
});
