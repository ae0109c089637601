/**
 * What the client does before it streams: without --model it takes the gateway's default from
 * GET /openai/v1/models, and pointed at something that is not the gateway (the mock upstream
 * itself, another server) it says so and suggests --url instead of failing obscurely.
 */
import { afterEach, describe, expect, it } from "vitest";
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { startMockUpstream, type RunningMock } from "../../../mock-upstream/index.js";
import { happyScript, startFakeGateway, type FakeGateway } from "./fake-gateway.js";
import { jsonLines, run } from "./helpers.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function fake(...args: Parameters<typeof startFakeGateway>): Promise<FakeGateway> {
  const g = await startFakeGateway(...args);
  open.push(g);
  return g;
}

async function mock(): Promise<RunningMock> {
  const m = await startMockUpstream({});
  open.push(m);
  return m;
}

const list = (...models: Record<string, unknown>[]) => ({ object: "list", data: models.map((m) => ({ object: "model", owned_by: "gateway", ...m })) });

describe("client: the model when --model is not given", () => {
  it("is the first model the gateway lists, named in the footer", async () => {
    const g = await fake({ sse: happyScript() }, { models: list({ id: "mock-long-think" }, { id: "mock-plain" }) });
    const r = await run(["--url", g.base, "--prompt", "hi"]);
    expect(r.code).toBe(0);
    expect(g.modelLookups).toBe(1);
    expect(g.requests.map((q) => q.body.model)).toEqual(["mock-long-think"]);
    expect(r.out).toContain(" · model mock-long-think (the gateway's default)\n");
  });

  it("is the one the gateway marks default, wherever it is listed", async () => {
    const g = await fake({ sse: happyScript() }, { models: list({ id: "a-first" }, { id: "the-default", default: true }) });
    const r = await run(["--url", g.base, "--json"]);
    expect(r.code).toBe(0);
    expect(g.requests[0]!.body.model).toBe("the-default");
  });

  it("is not looked up when --model or FRIENDLI_ENDPOINT_ID names one", async () => {
    const g = await fake({ sse: happyScript() });
    const r = await run(["--url", g.base, "--model", "mine"]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("the gateway's default");
    await run(["--url", g.base], { env: { FRIENDLI_ENDPOINT_ID: "ep-1" } });
    expect(g.modelLookups).toBe(0);
    expect(g.requests.map((q) => q.body.model)).toEqual(["mine", "ep-1"]);
  });

  it("an empty list: says to pass --model, sends nothing", async () => {
    const g = await fake({ sse: happyScript() }, { models: list() });
    const r = await run(["--url", g.base]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: the gateway at ${g.base} lists no models, so there is no default: pass --model <name>\n`);
    expect(g.requests).toHaveLength(0);
  });

  it("a list behind a key: the gateway's 401 with the --api-key hint, and the key is sent", async () => {
    const g = await fake({ sse: happyScript() }, { modelsStatus: 401, models: { error: { message: "missing API key", type: "auth", code: "unauthorized" } } });
    const r = await run(["--url", g.base]);
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: the gateway answered HTTP 401 (unauthorized): missing API key — pass --api-key or set GATEWAY_API_KEY\n");
    expect(g.requests).toHaveLength(0);
  });
});

describe("client: pointed at something that is not the gateway", () => {
  it("the mock upstream itself: says so, suggests --url, exits 1 and leaves the stream", async () => {
    const m = await mock();
    // The mock's own base URL ends in /v1: exactly what a user copies from `make demo`'s banner.
    for (const argv of [
      ["--url", m.baseUrl],
      ["--url", m.baseUrl, "--model", "mock-tagged"],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(1);
      expect(r.out).toBe("");
      expect(r.err).toBe(
        `error: http://127.0.0.1:${m.port} is not the staged reasoning gateway: it answered with plain OpenAI chat chunks, not staged events (is it the upstream?) — point --url (or GATEWAY_URL) at the gateway's base URL, e.g. --url http://127.0.0.1:8000\n`,
      );
    }
    // It asked the mock's model list for a default and used the first name there.
    const chats = m.mock.calls.filter((c) => c.kind === "chat");
    expect(chats.map((c) => c.model)).toEqual(["mock-reasoning_content", "mock-tagged"]);
  });

  it("says the same as a client.error line in --json", async () => {
    const m = await mock();
    const r = await run(["--url", m.baseUrl, "--json"]);
    expect(r.code).toBe(1);
    expect(jsonLines(r.out)).toEqual([
      {
        event: "client.error",
        data: { message: expect.stringMatching(/is not the staged reasoning gateway.*--url/), kind: "not_gateway", url: `http://127.0.0.1:${m.port}` },
      },
    ]);
  });

  it("another server (404 everywhere): names the URL and suggests --url", async () => {
    const app = new Hono();
    app.all("*", (c) => c.text("Not Found", 404));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    });
    open.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const listed = await run(["--url", base]);
    expect(listed.code).toBe(1);
    expect(listed.err).toBe(
      `error: ${base} is not the staged reasoning gateway: it has no /openai/v1/models (HTTP 404) — point --url (or GATEWAY_URL) at the gateway's base URL, e.g. --url http://127.0.0.1:8000\n`,
    );
    const named = await run(["--url", base, "--model", "m"]);
    expect(named.code).toBe(1);
    expect(named.err).toBe(
      "error: the gateway answered HTTP 404: Not Found — is this the gateway? point --url (or GATEWAY_URL) at the gateway's base URL, e.g. --url http://127.0.0.1:8000\n",
    );
  });
});
