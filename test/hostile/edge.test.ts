// Hostile input at the edge: each finding of the probe (issue 10), reproduced over real sockets.
import { describe, expect, it } from "vitest";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { useStack } from "../helpers/stack.js";
import { captureLogger } from "../helpers/pg.js";
import { sample } from "../helpers/prom.js";
import { postStaged, stagedOrder } from "../helpers/sse.js";
import { expectJsonError, nestedArrays, okBody, post, rawJson, sendUnfinished } from "./helpers.js";

const stack = useStack();
const providerStack = useProviderStack();
const ORDER = ["summary.prompt", "summary.reasoning", "output.delta", "output.done"];

// Two mock providers and a circuit that opens after 3 failures in a row: if hostile input could
// count against a provider's health, a handful of requests would open both.
const twoProviders = `
providers:
  - { id: alpha, base_url: "{{url:alpha}}", priority: 1, models: { "*": "*" } }
  - { id: beta, base_url: "{{url:beta}}", priority: 2, models: { "*": "*" } }
routes:
  - { model: "*", strategy: priority, providers: [alpha, beta] }
health: { consecutive_failures: 3, min_requests: 2, failure_rate: 0.5 }
`;

describe("a deeply nested body", () => {
  it("is a 400 naming MAX_JSON_DEPTH, makes no upstream call, and leaves every provider active", async () => {
    const { gateway, mocks } = await providerStack({ alpha: {}, beta: {} }, twoProviders);
    // ~200 KB: an unknown field nested 10⁵ deep, the probe's body.
    const deep = `{"model":"mock-tagged","messages":[{"role":"user","content":"hi"}],"x":${nestedArrays(100_000)}}`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(gateway.url, deep, "application/json")));
    for (const res of answers) {
      const err = await expectJsonError(res, 400);
      expect(err).toMatchObject({ code: "json_too_deep", message: expect.stringContaining("MAX_JSON_DEPTH (64 levels)") });
    }
    expect(chatCalls(mocks.alpha!)).toHaveLength(0);
    expect(chatCalls(mocks.beta!)).toHaveLength(0);
    expect(mocks.alpha!.mock.calls).toHaveLength(0);
    const providers = (await (await fetch(`${gateway.url}/v1/providers`)).json()) as { providers: { id: string; state: string; failures: number }[] };
    expect(providers.providers.map((p) => [p.id, p.state, p.failures])).toEqual([
      ["alpha", "active", 0],
      ["beta", "active", 0],
    ]);
    // And the next ordinary request is served.
    expect(stagedOrder(await postStaged(gateway.url, okBody()))).toEqual(ORDER);
  });

  it("the bounds are configurable, and a body with too many values is a 400 naming MAX_JSON_NODES", async () => {
    const { gateway, mock } = await stack({}, { MAX_JSON_DEPTH: "8", MAX_JSON_NODES: "1000" });
    // The body object is level 1, so eight arrays inside it reach level 9: one too deep.
    const nine = JSON.stringify(okBody({ x: JSON.parse(nestedArrays(8)) as unknown }));
    expect(await expectJsonError(await post(gateway.url, nine, "application/json"), 400)).toMatchObject({ code: "json_too_deep" });
    const eight = JSON.stringify(okBody({ x: JSON.parse(nestedArrays(7)) as unknown, stream: false }));
    expect((await post(gateway.url, eight, "application/json")).status).toBe(200);
    const wide = JSON.stringify(okBody({ x: Array.from({ length: 1000 }, (_, i) => i) }));
    const err = await expectJsonError(await post(gateway.url, wide, "application/json"), 400);
    expect(err).toMatchObject({ code: "json_too_large", message: "request body has more than MAX_JSON_NODES (1000) values" });
    expect(chatCalls(mock)).toHaveLength(1);
  });
});

describe("content types", () => {
  it("refuses text/plain, form and multipart bodies, and a body without a type, with 415", async () => {
    const { gateway, mock } = await stack();
    const json = JSON.stringify(okBody());
    const cases: Array<[string | undefined, string | Uint8Array]> = [
      ["text/plain", json],
      ["text/plain;charset=UTF-8", json],
      ["application/x-www-form-urlencoded", `model=mock-tagged&messages=hi`],
      ["multipart/form-data; boundary=x", `--x\r\nContent-Disposition: form-data; name="model"\r\n\r\nmock-tagged\r\n--x--`],
      ["application/json; charset=latin1", json],
      ["application/jsonp", json],
      [undefined, new TextEncoder().encode(json)],
    ];
    for (const [type, body] of cases) {
      const err = await expectJsonError(await post(gateway.url, body, type), 415);
      expect(err.code).toBe("unsupported_media_type");
      expect(err.message).toMatch(/^Content-Type must be application\/json \(UTF-8\); (got "[^"]*"|none was sent)$/);
      if (type) expect(err.message).toContain(type.slice(0, 20));
    }
    expect(mock.mock.calls).toHaveLength(0);
  });

  it("accepts application/json with a UTF-8 charset, in any case", async () => {
    const { gateway } = await stack();
    for (const type of ["application/json; charset=utf-8", "Application/JSON;charset=UTF-8", "application/json"]) {
      const res = await post(gateway.url, JSON.stringify(okBody({ stream: false })), type);
      expect(res.status, type).toBe(200);
    }
  });
});

describe("a body that never finishes", () => {
  it("ends at BODY_TIMEOUT with 408, closes the connection, and logs no error", async () => {
    const { logger, lines } = captureLogger();
    const { mock } = await stack();
    const { startGateway } = await import("../helpers/gateway.js");
    const gw = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, BODY_TIMEOUT: "1" }, { logger });
    try {
      const head = ["POST /v1/chat/completions HTTP/1.1", "Host: x", "Content-Type: application/json", "Content-Length: 5000"].join("\r\n");
      const started = performance.now();
      const answer = await sendUnfinished(gw.port, head, '{"model":"mock-tagged","mess');
      expect(answer.status).toBe(408);
      expect(answer.closedByServer).toBe(true);
      expect(rawJson(answer)).toEqual({
        error: { message: "request body did not arrive within BODY_TIMEOUT (1 s)", type: "invalid_request_error", code: "body_timeout" },
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
      expect(performance.now() - started).toBeLessThan(15_000);

      // Chunked, never sending the last chunk: the same.
      const chunked = ["POST /v1/chat/completions HTTP/1.1", "Host: x", "Content-Type: application/json", "Transfer-Encoding: chunked"].join("\r\n");
      const second = await sendUnfinished(gw.port, chunked, '5\r\n{"mod\r\n');
      expect(second.status).toBe(408);
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
      expect(mock.mock.calls).toHaveLength(0);
      // The gateway is fine afterwards.
      expect((await postStaged(gw.url, okBody())).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it("a body over MAX_BODY_BYTES is 413 whether it says so up front or not", async () => {
    const { gateway } = await stack({}, { MAX_BODY_BYTES: "2048" });
    const big = JSON.stringify(okBody({ pad: "x".repeat(4096) }));
    const err = await expectJsonError(await post(gateway.url, big, "application/json"), 413);
    expect(err).toMatchObject({ code: "body_too_large", message: "request body is larger than MAX_BODY_BYTES (2048 bytes)" });
    // Streamed without a Content-Length: counted as it arrives.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    });
    expect(await expectJsonError(res, 413)).toMatchObject({ code: "body_too_large" });
  });

  it("a body that is not UTF-8 is a 400 that says so", async () => {
    const { gateway } = await stack();
    const bytes = new Uint8Array([...new TextEncoder().encode('{"model":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    expect(await expectJsonError(await post(gateway.url, bytes, "application/json"), 400)).toMatchObject({ message: "request body is not valid UTF-8" });
  });
});

describe("huge model names", () => {
  it("four 9 MB model names are 400s, and /metrics still answers 200 with a body under 1 MB", async () => {
    const { gateway, mock } = await stack();
    const huge = "m".repeat(9 * 1024 * 1024);
    for (let i = 0; i < 4; i++) {
      const err = await expectJsonError(await post(gateway.url, JSON.stringify(okBody({ model: `${huge}${i}` })), "application/json"), 400);
      expect(err.message).toBe(`model: must be at most 256 characters (got ${huge.length + 1})`);
    }
    const summary = await expectJsonError(await post(gateway.url, JSON.stringify(okBody({ summary_model: "s".repeat(257) })), "application/json"), 400);
    expect(summary.message).toBe("summary_model: must be at most 256 characters (got 257)");
    expect(mock.mock.calls).toHaveLength(0);
    const res = await fetch(`${gateway.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeLessThan(1024 * 1024);
    expect(sample(text, "gateway_requests_total", { model: "other", outcome: "rejected", status: "400" })).toBe(5);
  });

  it("CR, LF and NUL in a served model name never reach a label", async () => {
    const { gateway } = await stack();
    for (const model of ["mock-tagged\r\nfake_metric 1", "mock\u0000tagged"]) {
      expect((await post(gateway.url, JSON.stringify(okBody({ model, stream: false })), "application/json")).status).toBe(200);
    }
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text.includes("\r") || text.includes("\u0000") || /^fake_metric/m.test(text)).toBe(false);
    expect(sample(text, "gateway_requests_total", { model: "other", outcome: "ok", status: "200" })).toBe(2);
  });
});

describe("headers", () => {
  it("the request id is always the gateway's own; a plain client id up to 128 characters is echoed as x-client-request-id, anything else ignored", async () => {
    const { gateway } = await stack();
    const idsOf = async (id: string) => {
      const h = (await post(gateway.url, JSON.stringify(okBody({ stream: false })), "application/json", { "x-request-id": id })).headers;
      return { ours: h.get("x-request-id"), theirs: h.get("x-client-request-id") };
    };
    const plain = "a".repeat(128);
    const kept = await idsOf(plain);
    expect(kept.ours).toMatch(/^[0-9a-f-]{36}$/);
    expect(kept.theirs).toBe(plain);
    for (const bad of ["a".repeat(129), "has space", "semi;colon", "ünï"]) {
      const got = await idsOf(bad);
      expect(got.ours).toMatch(/^[0-9a-f-]{36}$/);
      expect(got.theirs).toBeNull();
    }
  });

  it("refuses an x-task-category longer than 64 characters with a 400 naming the header", async () => {
    const { gateway, mock } = await stack();
    const err = await expectJsonError(await post(gateway.url, JSON.stringify(okBody()), "application/json", { "x-task-category": "c".repeat(65) }), 400);
    expect(err).toMatchObject({ code: "invalid_header", message: "header x-task-category: must be at most 64 characters (got 65)" });
    expect(mock.mock.calls).toHaveLength(0);
  });
});
