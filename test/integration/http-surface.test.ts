import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { first, postStaged, userMessage } from "../helpers/sse.js";
import { startGateway } from "../helpers/gateway.js";
import { useStack } from "../helpers/stack.js";

const stack = useStack();
const ok = { model: "mock-tagged", messages: userMessage("Hello, what is 2+2?") };

describe("bad input gets a 4xx JSON error that names the problem", () => {
  const cases: [string, unknown, number, RegExp][] = [
    ["invalid JSON", "{not json", 400, /not valid JSON/],
    ["an empty body", "", 400, /empty/],
    ["an array body", "[]", 400, /JSON object/],
    ["no model", { messages: userMessage("hi") }, 400, /^model: /],
    ["an empty model", { ...ok, model: " " }, 400, /^model: must not be empty/],
    ["no messages", { model: "m" }, 400, /^messages: /],
    ["empty messages", { model: "m", messages: [] }, 400, /^messages: must not be empty/],
    ["a bad role", { model: "m", messages: [{ role: "wizard", content: "x" }] }, 400, /^messages\[0\]\.role: /],
    ["bad content", { model: "m", messages: [{ role: "user", content: 5 }] }, 400, /^messages\[0\]\.content: /],
    ["stream not boolean", { ...ok, stream: "yes" }, 400, /^stream: /],
    ["temperature not a number", { ...ok, temperature: "hot" }, 400, /^temperature: /],
    ["max_tokens negative", { ...ok, max_tokens: -1 }, 400, /^max_tokens: /],
    ["summary_model not a string", { ...ok, summary_model: 3 }, 400, /^summary_model: /],
  ];
  for (const [name, body, status, message] of cases) {
    it(name, async () => {
      const { gateway, mock } = await stack();
      const r = await postStaged(gateway.url, body);
      expect(r.status).toBe(status);
      expect(r.json).toMatchObject({ error: { message: expect.stringMatching(message), type: "invalid_request_error", code: expect.any(String) } });
      expect(mock.mock.calls).toHaveLength(0);
    });
  }

  it("a body over MAX_BODY_BYTES gets 413", async () => {
    const { gateway, mock } = await stack({}, { MAX_BODY_BYTES: "2048" });
    const r = await postStaged(gateway.url, { ...ok, messages: userMessage("x".repeat(5000)) });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ error: { code: "body_too_large", message: expect.stringContaining("MAX_BODY_BYTES") } });
    expect(mock.mock.calls).toHaveLength(0);
  });

  it("unknown paths get a JSON 404", async () => {
    const { gateway } = await stack();
    const res = await fetch(`${gateway.url}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("ALLOW_MODELS", () => {
  it("refuses a model outside the list with 403 and makes no upstream call", async () => {
    const { gateway, mock } = await stack({}, { ALLOW_MODELS: "mock-tagged, mock-think" });
    const r = await postStaged(gateway.url, { ...ok, model: "gpt-secret" });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ error: { code: "model_not_allowed" } });
    expect(mock.mock.calls).toHaveLength(0);
  });

  it("refuses a summary_model outside the list", async () => {
    const { gateway, mock } = await stack({}, { ALLOW_MODELS: "mock-tagged" });
    const r = await postStaged(gateway.url, { ...ok, summary_model: "expensive" });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ error: { code: "model_not_allowed" } });
    expect(mock.mock.calls).toHaveLength(0);
  });

  it("serves a listed model", async () => {
    const { gateway } = await stack({}, { ALLOW_MODELS: "mock-tagged" });
    expect((await postStaged(gateway.url, ok)).status).toBe(200);
  });
});

describe("what reaches the upstream", () => {
  it("never forwards summary_model; passes unknown fields; sends the key; uses summary_model for summaries", async () => {
    const { gateway, mock } = await stack({}, { UPSTREAM_API_KEY: "sk-test-123" });
    await postStaged(gateway.url, { ...ok, summary_model: "mock-fast", seed: 7, user: "u1", top_p: 0.5 });
    const chat = mock.mock.calls.find((c) => c.kind === "chat")!;
    expect(chat.body).not.toHaveProperty("summary_model");
    expect(chat.body).toMatchObject({ model: "mock-tagged", seed: 7, user: "u1", top_p: 0.5, stream: true });
    expect(chat.headers.authorization).toBe("Bearer sk-test-123");
    for (const c of mock.mock.calls.filter((x) => x.kind !== "chat")) {
      expect(c.model).toBe("mock-fast");
      expect(c.body).not.toHaveProperty("summary_model");
      expect(c.headers.authorization).toBe("Bearer sk-test-123");
    }
  });

  it("uses SUMMARY_MODEL_DEFAULT, else the request's model, for summaries", async () => {
    const a = await stack({}, { SUMMARY_MODEL_DEFAULT: "mock-small" });
    await postStaged(a.gateway.url, ok);
    expect(a.mock.mock.calls.filter((c) => c.kind !== "chat").map((c) => c.model)).toEqual(["mock-small", "mock-small"]);
    const b = await stack();
    await postStaged(b.gateway.url, ok);
    expect(b.mock.mock.calls.filter((c) => c.kind !== "chat").map((c) => c.model)).toEqual(["mock-tagged", "mock-tagged"]);
  });

  it("asks for <analysis>/<final> tags by extending the system message", async () => {
    const { gateway, mock } = await stack();
    await postStaged(gateway.url, { ...ok, messages: [{ role: "system", content: "Be terse." }, ...userMessage("Hi?")] });
    const messages = mock.mock.calls.find((c) => c.kind === "chat")!.body.messages as { role: string; content: string }[];
    expect(messages).toHaveLength(2);
    expect(messages[0]!.content).toMatch(/^Be terse\.[\s\S]*<analysis>[\s\S]*<final>/);
  });

  it("keeps MAX_REASONING_CHARS of reasoning (head and tail) for the summary", async () => {
    const reasoningText = `START ${"middle part of the reasoning. ".repeat(300)} END`;
    const { gateway, mock } = await stack({ reasoningText, chunkChars: 200 }, { MAX_REASONING_CHARS: "1000" });
    await postStaged(gateway.url, ok);
    const call = mock.mock.calls.find((c) => c.kind === "reasoning_summary")!;
    const input = (call.body.messages as { content: string }[]).at(-1)!.content;
    expect(input.length).toBeLessThanOrEqual(1100);
    expect(input).toContain("START");
    expect(input).toContain("END");
  });
});

describe("stream: false", () => {
  it("returns a chat.completion with the answer and both summaries", async () => {
    const { gateway } = await stack({ answerText: "Four." });
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...ok, stream: false }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "mock-tagged",
      choices: [{ index: 0, message: { role: "assistant", content: "Four." }, finish_reason: "stop" }],
      prompt_summary: { source: "model", text: expect.any(String) },
      reasoning_summary: { source: "model", text: expect.stringMatching(/^- /) },
    });
  });

  it("answers an upstream failure with a JSON error and its status", async () => {
    const { gateway } = await stack({ faults: { fail: { status: 500, times: Infinity } } }, { UPSTREAM_MAX_RETRIES: "0" });
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...ok, stream: false }),
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { type: "upstream_error" } });
  });
});

describe("health endpoints", () => {
  it("/healthz is 200 even when the upstream is down", async () => {
    const gw = await startGateway({ UPSTREAM_BASE_URL: "http://127.0.0.1:9" });
    try {
      const res = await fetch(`${gw.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
      const up = await fetch(`${gw.url}/upstream-health`);
      expect(up.status).toBe(503);
      expect(await up.json()).toMatchObject({ status: "unavailable", reason: expect.any(String), latency_ms: expect.any(Number) });
    } finally {
      await gw.close();
    }
  });

  it("/upstream-health is 200 with latency when the upstream answers", async () => {
    const { gateway } = await stack({}, { UPSTREAM_API_KEY: "k" });
    const res = await fetch(`${gateway.url}/upstream-health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", http_status: 200, latency_ms: expect.any(Number) });
  });

  it("/upstream-health is 503 when the upstream answers 5xx", async () => {
    const server = createServer((_req, res) => res.writeHead(500).end("down"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const gw = await startGateway({ UPSTREAM_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      const res = await fetch(`${gw.url}/upstream-health`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: "unavailable", http_status: 500 });
    } finally {
      await gw.close();
      server.close();
    }
  });
});

describe("GET /v1/models", () => {
  it("lists the single upstream's models, or only ALLOW_MODELS when set", async () => {
    const open = await stack();
    const all = (await (await fetch(`${open.gateway.url}/v1/models`)).json()) as { object: string; data: { id: string }[] };
    expect(all.object).toBe("list");
    expect(all.data.map((m) => m.id)).toEqual(expect.arrayContaining(["mock-tagged", "mock-think"]));
    const limited = await stack({}, { ALLOW_MODELS: "mock-think" });
    const only = (await (await fetch(`${limited.gateway.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(only.data.map((m) => m.id)).toEqual(["mock-think"]);
  });
});

describe("x-request-id", () => {
  it("is the gateway's own, never the client's; the client's id is echoed as x-client-request-id for correlation", async () => {
    const { gateway } = await stack();
    for (const header of ["x-request-id", "x-client-request-id"]) {
      const r = await postStaged(gateway.url, ok, { headers: { [header]: "client-abc-123" } });
      const id = r.headers.get("x-request-id");
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(first(r, "output.done").data.request_id).toBe(id);
      expect(r.headers.get("x-client-request-id")).toBe("client-abc-123");
    }
  });
});
