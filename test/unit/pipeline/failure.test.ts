import { describe, expect, it } from "vitest";
import { failureOf } from "../../../src/pipeline/index.js";
import { UpstreamError, type UpstreamErrorKind } from "../../../src/upstream/index.js";
import { RequestEnded } from "../../../src/util/index.js";

const up = (kind: UpstreamErrorKind, extra: { status?: number; type?: string; code?: string; retryAfterMs?: number } = {}) =>
  new UpstreamError({ kind, message: `${kind} failed`, ...extra });

describe("failureOf: the one table from cause to what the client sees", () => {
  it.each([
    ["a timeout", 504, "upstream_error", up("timeout")],
    ["no provider available", 503, "upstream_error", up("no_provider")],
    ["the client leaving", 499, "client_closed", up("aborted")],
    ["a request the provider's API cannot express", 400, "invalid_request_error", up("request")],
    ["an unreachable upstream", 502, "upstream_error", up("connection")],
    ["a broken stream", 502, "upstream_error", up("stream")],
    ["a 2xx that is not what was asked for", 502, "upstream_error", up("protocol")],
    ["an upstream 500", 502, "upstream_error", up("http", { status: 500 })],
    ["an upstream 503", 502, "upstream_error", up("http", { status: 503 })],
    ["an upstream 404", 404, "not_found_error", up("http", { status: 404 })],
    ["an upstream 429", 429, "rate_limit_error", up("http", { status: 429 })],
  ] as const)("%s → %i (%s)", (_, status, type, e) => {
    expect(failureOf(e)).toMatchObject({ status, type });
  });

  it("a tool call whose arguments are not JSON is the client's 400, with the adapter's code", () => {
    const e = new UpstreamError({ kind: "request", code: "invalid_tool_arguments", message: "messages: tool call t has arguments that are not a JSON object" });
    expect(failureOf(e)).toEqual({ status: 400, type: "invalid_request_error", code: "invalid_tool_arguments", message: e.message, retryable: false });
  });

  it("an upstream 4xx keeps the type the upstream gave, and a 429 its Retry-After", () => {
    expect(failureOf(up("http", { status: 400, type: "invalid_request_error", code: "context_length_exceeded" }))).toMatchObject({
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
    });
    expect(failureOf(up("http", { status: 429, retryAfterMs: 2500 }))).toMatchObject({ status: 429, retryAfterMs: 2500, retryable: true });
    // A 503's Retry-After is about the upstream, not about when this client may come back.
    expect(failureOf(up("http", { status: 503, retryAfterMs: 2500 })).retryAfterMs).toBeUndefined();
  });

  it("refused credentials are the gateway's problem: 502 upstream_auth_failed, never the client's 401/403, and never the upstream's words", () => {
    for (const status of [401, 403]) {
      const e = up("http", { status, type: "authentication_error", code: "invalid_api_key" });
      expect(e).toMatchObject({ credentialsRefused: true, failoverable: true, providerFault: true, retryable: false });
      const f = failureOf(new UpstreamError({ kind: "http", status, message: "Incorrect API key provided: sk-proj-abcdefghijklmnop" }));
      expect(f).toMatchObject({ status: 502, type: "upstream_error", code: "upstream_auth_failed", retryable: false });
      expect(f.message).not.toContain("sk-proj");
      // The error itself, which logs print, leaves the key-like part out too.
      expect(new UpstreamError({ kind: "http", status, message: "Incorrect API key provided: sk-proj-abcdefghijklmnop." }).message).toBe(
        "Incorrect API key provided: [redacted].",
      );
    }
    // Said another way by the API (Gemini's 400 API_KEY_INVALID): the same.
    expect(failureOf(new UpstreamError({ kind: "http", status: 400, message: "API key not valid", credentialsRefused: true })).status).toBe(502);
    expect(up("http", { status: 400 }).credentialsRefused).toBe(false);
  });

  it("the gateway's own endings carry their status; anything else is a 500 that names no detail", () => {
    expect(failureOf(new RequestEnded("deadline_exceeded", "too long", 504, false))).toMatchObject({
      status: 504,
      code: "deadline_exceeded",
      type: "server_error",
    });
    expect(failureOf(new Error("boom"))).toEqual({
      status: 500,
      type: "server_error",
      code: "internal_error",
      message: "internal gateway error",
      retryable: false,
    });
  });
});
