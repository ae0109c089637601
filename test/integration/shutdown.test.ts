import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { openRequestLog } from "../../src/storage/index.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { startGateway } from "../helpers/gateway.js";
import { startGatewayProcess } from "../helpers/process.js";
import { first, postStaged, userMessage } from "../helpers/sse.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});


describe("graceful shutdown", () => {
  it("on SIGTERM lets an in-flight stream finish, refuses new work, and flushes the request log", async () => {
    const mock = await startMockUpstream({ latency: { reasoningChunkMs: 30, answerChunkMs: 30 } });
    cleanup.push(() => mock.close());
    const dataDir = mkdtempSync(join(tmpdir(), "gw-shutdown-"));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const gw = await startGatewayProcess({ ...process.env, UPSTREAM_BASE_URL: mock.baseUrl, DATA_DIR: dataDir, SHUTDOWN_GRACE_SECONDS: "20" });
    const child = gw.child;
    cleanup.push(() => gw.kill());
    const url = gw.url;
    let signalled = false;
    const stream = postStaged(url, { model: "mock-tagged", messages: userMessage("A long question to keep the stream open.") }, {
      onEvent: (e) => {
        if (e.event === "summary.prompt" && !signalled) {
          signalled = true;
          child.kill("SIGTERM");
        }
      },
    });
    const r = await stream;
    expect(signalled).toBe(true);
    expect(r.events.at(-1)?.event).toBe("output.done");
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect((await gw.exited).code).toBe(0);

    const log = await openRequestLog({ dataDir: join(dataDir, "requests"), logger: silentLogger() });
    try {
      const rows = await log.list();
      expect(rows.map((x) => x.id)).toEqual([first(r, "output.done").data.request_id]);
      expect(rows[0]?.outcome).toBe("ok");
    } finally {
      await log.close();
    }
  }, PROCESS_TEST_MS);
});

describe("graceful shutdown past the grace", () => {
  it("ends a stream still running at the end of the grace with a shutting_down error event, and cancels its upstream call", async () => {
    // Slow enough that the stream outlives a 1 s grace by far.
    const mock = await startMockUpstream({ reasoningText: "Thinking slowly. ".repeat(100), latency: { reasoningChunkMs: 100 } });
    cleanup.push(() => mock.close());
    const gw = await startGatewayProcess({ ...process.env, UPSTREAM_BASE_URL: mock.baseUrl, REQUEST_LOG: "false", SHUTDOWN_GRACE_SECONDS: "1" });
    cleanup.push(() => gw.kill());
    let signalled = false;
    const r = await postStaged(gw.url, { model: "mock-think", messages: userMessage("Think for a long time.") }, {
      onEvent: (e) => {
        if (e.event === "summary.prompt" && !signalled) {
          signalled = true;
          gw.child.kill("SIGTERM");
        }
      },
    });
    expect(signalled).toBe(true);
    const last = r.events.at(-1);
    expect(last?.event).toBe("error");
    expect(last?.data).toMatchObject({ stage: "upstream", code: "shutting_down", retryable: true });
    expect((await gw.exited).code).toBe(0);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
  }, PROCESS_TEST_MS);
});

describe("draining (what SIGTERM does first)", () => {
  it("answers a request on a kept-alive socket with 503 shutting_down and Connection: close", async () => {
    const mock = await startMockUpstream();
    cleanup.push(() => mock.close());
    const gw = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl });
    cleanup.push(() => gw.close());
    const agent = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
    cleanup.push(() => agent.close());
    // The socket is open and kept alive before the drain begins.
    expect((await request(`${gw.url}/healthz`, { dispatcher: agent })).statusCode).toBe(200);
    gw.gateway.drain();
    const late = await request(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      dispatcher: agent,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-think", messages: userMessage("Too late?") }),
    });
    expect(late.statusCode).toBe(503);
    expect(late.headers.connection).toBe("close");
    expect(late.headers["retry-after"]).toBe("1");
    expect(((await late.body.json()) as { error: { code: string } }).error.code).toBe("shutting_down");
    expect(mock.mock.calls).toHaveLength(0);
  });
});
