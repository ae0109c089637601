import { describe, expect, it } from "vitest";
import { failureOf } from "../../../src/pipeline/index.js";
import { readChunk } from "../../../src/upstream/chunks.js";
import { UpstreamError } from "../../../src/upstream/index.js";
import { errorFromAnswer, parseRetryAfter } from "../../../src/upstream/errors.js";

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });

describe("readChunk", () => {
  it("reads content and either reasoning field; null and empty mean absent", () => {
    expect(readChunk(chunk({ content: "a" }))).toMatchObject({ content: "a", reasoning: undefined });
    expect(readChunk(chunk({ reasoning_content: "r", content: null }))).toMatchObject({ content: undefined, reasoning: "r" });
    expect(readChunk(chunk({ reasoning: "r2", content: "" }))).toMatchObject({ content: undefined, reasoning: "r2" });
    expect(readChunk(chunk({ reasoning_content: "", reasoning: "r3" }))).toMatchObject({ reasoning: "r3" });
  });

  it("returns a role-only chunk with no text, and a usage-only chunk with empty choices", () => {
    expect(readChunk(chunk({ role: "assistant" }))).toMatchObject({ content: undefined, reasoning: undefined });
    expect(readChunk({ choices: [], usage: { total_tokens: 3 } })).toMatchObject({ usage: { total_tokens: 3 } });
    expect(readChunk({ choices: [] })).toBeUndefined();
    expect(readChunk("nonsense")).toBeUndefined();
  });

  it("throws for an error object or finish_reason error", () => {
    expect(() => readChunk({ error: { message: "boom", code: "x" } })).toThrow(UpstreamError);
    expect(() => readChunk({ error: { message: "boom", code: "x" } })).toThrow("boom");
    expect(() => readChunk(chunk({}, "error"))).toThrow(UpstreamError);
  });

  it("reads OpenRouter's reasoning_details: text and summary items shown, encrypted ones only counted", () => {
    const details = [
      { type: "reasoning.summary", summary: "Plan: add. ", format: "anthropic-claude-v1", index: 0 },
      { type: "reasoning.text", text: "2+2 is 4.", signature: "sig", index: 1 },
      { type: "reasoning.encrypted", data: "gAAAA-opaque", index: 2 },
      { type: "reasoning.encrypted", data: "gAAAA-more", index: 3 },
      { type: "something.new", text: "ignored" },
    ];
    const d = readChunk(chunk({ reasoning_details: details }));
    expect(d).toMatchObject({ reasoning: "Plan: add. 2+2 is 4.", encryptedReasoning: 2 });
    expect(JSON.stringify(d)).not.toContain("gAAAA");
    // Only encrypted: nothing to show, still counted.
    expect(readChunk(chunk({ reasoning_details: [{ type: "reasoning.encrypted", data: "x" }] }))).toMatchObject({
      reasoning: undefined,
      encryptedReasoning: 1,
    });
  });

  it("takes OpenRouter's reasoning string over the same text repeated in reasoning_details", () => {
    const d = readChunk(chunk({ reasoning: "Think.", reasoning_details: [{ type: "reasoning.text", text: "Think." }] }));
    expect(d?.reasoning).toBe("Think.");
    expect(d?.encryptedReasoning).toBeUndefined();
  });

  it("keeps finish_reason", () => {
    expect(readChunk(chunk({ content: "." }, "length"))?.finishReason).toBe("length");
  });
});

describe("UpstreamError", () => {
  it("maps statuses to retryability and to the gateway's status", () => {
    const e = (status: number) => new UpstreamError({ kind: "http", status, message: "m" });
    expect([429, 500, 502, 503, 504].map((s) => e(s).retryable)).toEqual([true, true, true, true, true]);
    expect([400, 401, 404, 422].map((s) => e(s).retryable)).toEqual([false, false, false, false]);
    expect(failureOf(e(404)).status).toBe(404);
    expect(failureOf(e(503)).status).toBe(502);
    expect(failureOf(new UpstreamError({ kind: "timeout", message: "t" })).status).toBe(504);
    expect(new UpstreamError({ kind: "connection", message: "c" })).toMatchObject({ retryable: true, code: "upstream_unreachable" });
  });

  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("2", 0)).toBe(2000);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
  });
});

describe("the upstream's error param", () => {
  it("is kept from an error body and from an in-stream error, and reaches the client's failure; null means none", () => {
    const body = (param: unknown) => JSON.stringify({ error: { message: "bad temperature", type: "invalid_request_error", code: null, param } });
    const e = errorFromAnswer(400, body("temperature"), undefined);
    expect(e.param).toBe("temperature");
    expect(failureOf(e)).toMatchObject({ status: 400, param: "temperature" });
    expect(errorFromAnswer(400, body(null), undefined).param).toBeUndefined();
    expect(failureOf(errorFromAnswer(400, body(null), undefined))).not.toHaveProperty("param");
    expect(() => readChunk({ error: { message: "m", param: "messages" } })).toThrow(expect.objectContaining({ kind: "stream", param: "messages" }));
  });
});
