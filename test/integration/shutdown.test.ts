import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { Agent, request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { openRequestLog } from "../../src/storage/index.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { startGateway } from "../helpers/gateway.js";
import { SCRATCH_ROOT, startGatewayProcess } from "../helpers/process.js";
import { first, postStaged, userMessage } from "../helpers/sse.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe("graceful shutdown", () => {
  it(
    "on SIGTERM lets an in-flight stream finish, refuses new work, and flushes the request log",
    async () => {
      const mock = await startMockUpstream({ latency: { reasoningChunkMs: 30, answerChunkMs: 30 } });
      cleanup.push(() => mock.close());
      const dataDir = mkdtempSync(join(SCRATCH_ROOT, "gw-shutdown-"));
      cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const gw = await startGatewayProcess({ UPSTREAM_BASE_URL: mock.baseUrl, DATA_DIR: dataDir, SHUTDOWN_GRACE_SECONDS: "20" });
      const child = gw.child;
      cleanup.push(() => gw.kill());
      const url = gw.url;
      let signalled = false;
      const stream = postStaged(
        url,
        { model: "mock-tagged", messages: userMessage("A long question to keep the stream open.") },
        {
          onEvent: (e) => {
            if (e.event === "summary.prompt" && !signalled) {
              signalled = true;
              child.kill("SIGTERM");
            }
          },
        },
      );
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
    },
    PROCESS_TEST_MS,
  );
});

describe("graceful shutdown past the grace", () => {
  it(
    "ends a stream still running at the end of the grace with a shutting_down error event, and cancels its upstream call",
    async () => {
      // Slow enough that the stream outlives a 1 s grace by far.
      const mock = await startMockUpstream({ reasoningText: "Thinking slowly. ".repeat(100), latency: { reasoningChunkMs: 100 } });
      cleanup.push(() => mock.close());
      const gw = await startGatewayProcess({ UPSTREAM_BASE_URL: mock.baseUrl, REQUEST_LOG: "false", SHUTDOWN_GRACE_SECONDS: "1" });
      cleanup.push(() => gw.kill());
      let signalled = false;
      const r = await postStaged(
        gw.url,
        { model: "mock-think", messages: userMessage("Think for a long time.") },
        {
          onEvent: (e) => {
            if (e.event === "summary.prompt" && !signalled) {
              signalled = true;
              gw.child.kill("SIGTERM");
            }
          },
        },
      );
      expect(signalled).toBe(true);
      const last = r.events.at(-1);
      expect(last?.event).toBe("error");
      expect(last?.data).toMatchObject({ stage: "upstream", code: "shutting_down", retryable: true });
      expect((await gw.exited).code).toBe(0);
      await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
    },
    PROCESS_TEST_MS,
  );
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

/** One HTTP/1.1 exchange on a raw socket: resolves with the whole answer once it is complete (or the socket ends). */
function exchange(socket: Socket, req: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const done = (): void => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", reject);
    };
    const complete = (): boolean => {
      const head = got.indexOf("\r\n\r\n");
      if (head === -1) return false;
      const length = /content-length: (\d+)/i.exec(got.slice(0, head))?.[1];
      return length !== undefined && Buffer.byteLength(got.slice(head + 4)) >= Number(length);
    };
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (complete()) {
        done();
        resolve(got);
      }
    };
    const onEnd = (): void => {
      done();
      resolve(got);
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
    socket.on("error", reject);
    socket.write(req);
  });
}

describe("shutdown on kept-alive sockets", () => {
  it(
    "after SIGTERM every request on an open socket — at once, 30 ms later, later still — gets 503 with Connection: close, never a silent close",
    async () => {
      const mock = await startMockUpstream();
      cleanup.push(() => mock.close());
      const gw = await startGatewayProcess({ UPSTREAM_BASE_URL: mock.baseUrl, REQUEST_LOG: "false", SHUTDOWN_GRACE_SECONDS: "20" });
      cleanup.push(() => gw.kill());
      const { port } = new URL(gw.url);
      const sockets = await Promise.all(
        Array.from(
          { length: 10 },
          () =>
            new Promise<Socket>((resolve, reject) => {
              const s = connect(Number(port), "127.0.0.1", () => resolve(s));
              s.once("error", reject);
            }),
        ),
      );
      cleanup.push(() => sockets.forEach((s) => s.destroy()));
      const healthz = "GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: keep-alive\r\n\r\n";
      for (const s of sockets) expect(await exchange(s, healthz)).toMatch(/^HTTP\/1\.1 200/);

      gw.child.kill("SIGTERM");
      await gw.waitForOutput("shutting down");
      const body = JSON.stringify({ model: "mock-think", messages: userMessage("Too late?") });
      const post = `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const answers: string[] = [];
      for (const [i, s] of sockets.entries()) {
        // Spread over the first second after the drain began.
        if (i > 0) await new Promise((r) => setTimeout(r, i === 1 ? 30 : 100));
        answers.push(await exchange(s, i % 2 === 0 ? post : healthz));
      }
      for (const a of answers) {
        expect(a).toMatch(/^HTTP\/1\.1 503/);
        expect(a.toLowerCase()).toContain("connection: close");
        expect(a).toContain('"code":"shutting_down"');
      }
      expect(mock.mock.calls).toHaveLength(0);
      expect((await gw.exited).code).toBe(0);
    },
    PROCESS_TEST_MS,
  );
});
