import { describe, expect, it } from "vitest";
import { settle } from "../../../src/http/outcome.js";
import type { Failure } from "../../../src/pipeline/index.js";

const refused: Failure = { status: 429, type: "rate_limit_error", code: "upstream_rate_limited", message: "slow down", retryable: true, retryAfterMs: 2000 };
const ended: Failure = { status: 504, type: "server_error", code: "deadline_exceeded", message: "too long", retryable: false };

describe("settle: the edge alone turns a run's end into what the client got", () => {
  it("a failure before the stream began is its own status (upstream_error); after, a 200 with an in-stream error (stream_error)", () => {
    expect(settle({ kind: "failed", failure: refused }, false)).toEqual({ outcome: "upstream_error", status: 429, failure: refused });
    expect(settle({ kind: "failed", failure: refused }, true)).toEqual({ outcome: "stream_error", status: 200, failure: refused });
  });

  it("a client that left is 499 only when nothing was sent; after that it got its 200", () => {
    expect(settle({ kind: "client_closed" }, false)).toMatchObject({ outcome: "client_closed", status: 499, failure: undefined });
    expect(settle({ kind: "client_closed" }, true)).toMatchObject({ outcome: "client_closed", status: 200, failure: undefined });
  });

  it("the gateway's own ending (deadline, shutdown, too slow) is aborted with the status the client saw", () => {
    expect(settle({ kind: "aborted", failure: ended }, false)).toMatchObject({ outcome: "aborted", status: 504 });
    expect(settle({ kind: "aborted", failure: ended }, true)).toMatchObject({ outcome: "aborted", status: 200 });
  });

  it("ok is 200; a refusal before any call is the client's 4xx", () => {
    expect(settle({ kind: "ok" }, true)).toEqual({ outcome: "ok", status: 200, failure: undefined });
    const bad = { ...refused, status: 400, code: "invalid_json_schema" };
    expect(settle({ kind: "rejected", failure: bad }, false)).toMatchObject({ outcome: "rejected", status: 400 });
  });
});
