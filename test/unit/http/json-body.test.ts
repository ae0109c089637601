import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ApiError, errorBody, jsonBody, jsonBodyOf, type GatewayEnv } from "../../../src/http/index.js";

function app(opts: Partial<Parameters<typeof jsonBody>[0]> = {}) {
  const a = new Hono<GatewayEnv>();
  a.post("/j", jsonBody({ maxBytes: 1_000, timeoutMs: 1_000, maxDepth: 4, maxNodes: 50, ...opts }), (c) =>
    c.json({ body: jsonBodyOf(c), model: c.get("model") ?? null }),
  );
  a.post("/bare", (c) => c.json(jsonBodyOf(c)));
  a.onError((e, c) => (e instanceof ApiError ? c.json(errorBody(e.message, e.type, e.code), e.status as 400, e.headers) : c.json({ bug: e.message }, 500)));
  return a;
}

// `type: null` sends bytes without a Content-Type at all (a string body would get text/plain).
const send = (a: Hono<GatewayEnv>, body: string, type: string | null = "application/json", headers: Record<string, string> = {}, path = "/j") =>
  a.request(path, {
    method: "POST",
    body: type === null ? new TextEncoder().encode(body) : body,
    headers: { ...(type !== null && { "content-type": type }), ...headers },
  });

describe("jsonBody()", () => {
  it("hands the route the parsed object and the request's model", async () => {
    const res = await send(app(), '{"model":"m","x":[1,{"y":null}]}');
    expect(await res.json()).toEqual({ body: { model: "m", x: [1, { y: null }] }, model: "m" });
  });

  it("refuses each problem with the status and code that name it", async () => {
    const a = app({ fieldLimits: { model: 5 }, headerLimits: { "x-thing": 3 } });
    const cases: Array<[Response, number, string]> = [
      [await send(a, "{}", "text/plain"), 415, "unsupported_media_type"],
      [await send(a, "{}", null), 415, "unsupported_media_type"],
      [await send(a, "x".repeat(1_001)), 413, "body_too_large"],
      [await send(a, ""), 400, "invalid_json"],
      [await send(a, "{"), 400, "invalid_json"],
      [await send(a, "[1]"), 400, "invalid_request"],
      [await send(a, '{"a":[[[[1]]]]}'), 400, "json_too_deep"],
      [await send(a, `[${"1,".repeat(60)}1]`), 400, "json_too_large"],
      [await send(a, '{"model":"123456"}'), 400, "invalid_request"],
      [await send(a, "{}", "application/json", { "x-thing": "abcd" }), 400, "invalid_header"],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });

  it("a 413 closes the connection so an unread body is not drained", async () => {
    const res = await send(app(), "x".repeat(1_001));
    expect(res.headers.get("connection")).toBe("close");
  });

  it("a route that reads the body without the middleware is a bug, not a client error", async () => {
    const res = await send(app(), "{}", "application/json", {}, "/bare");
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ bug: "route /bare reads a JSON body without the jsonBody() middleware" });
  });
});
