import { createServer, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { names, postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

/*
 * One client must not hurt the gateway: a client that never reads, an upstream that never
 * stops, an upstream that keeps failing. Real sockets throughout.
 */

const stack = useStack();

describe("a client that never reads", () => {
  let upstream: Server | undefined;
  let gateway: RunningGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    upstream?.closeAllConnections();
    await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
  });

  it("pauses the upstream (bounded memory), then after CLIENT_STALL_SECONDS ends the request, cuts the socket and frees its slot", async () => {
    // An upstream that streams answer text for ever, honouring its own socket's backpressure,
    // and counts what the gateway actually took.
    let written = 0;
    let streamClosed = false;
    const chunk = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "x".repeat(16 * 1024) } }] })}\n\n`;
    upstream = createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        if (!(JSON.parse(raw) as { stream: boolean }).stream) return summary(res);
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.on("close", () => (streamClosed = true));
        const pump = (): void => {
          while (!res.destroyed) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
        };
        pump();
      });
    });
    await new Promise<void>((r) => upstream?.listen(0, "127.0.0.1", () => r()));
    const port = (upstream.address() as AddressInfo).port;
    const KEY = "stall-key-0123456789";
    gateway = await startGateway({
      UPSTREAM_BASE_URL: `http://127.0.0.1:${port}`,
      CLIENT_STALL_SECONDS: "1",
      MODEL_CAPABILITIES: "plain*=fields",
      GATEWAY_API_KEYS: KEY,
      KEY_MAX_CONCURRENT: "1",
    });

    // A raw socket that sends the request and then never reads a byte.
    const body = JSON.stringify({ model: "plain-model", messages: userMessage("Say x forever.") });
    const socket = connect(gateway.port, "127.0.0.1");
    let socketClosed = false;
    socket.on("close", () => (socketClosed = true));
    socket.on("error", () => undefined);
    socket.pause();
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    try {
      // The gateway gives up on the client, which cancels the upstream call.
      await expect.poll(() => streamClosed, { timeout: 20_000, interval: 100 }).toBe(true);
      // Everything the upstream managed to write fits in socket buffers plus our high-water mark:
      // without backpressure it would have been read as fast as loopback goes (gigabytes).
      expect(written).toBeLessThan(64 * 1024 * 1024);
      // ... and lets the client go: its stream slot is free again at once, though the client
      // never read or closed its socket.
      expect(gateway.gateway.inflight.size).toBe(0);
      // (A request the key limits let through, then refused for its body: 400, where a held slot says 429.)
      const again = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "plain-model", messages: [] }),
      });
      expect(again.status).toBe(400);
      // Its socket was cut, not ended politely: once it reads, it finds the connection gone.
      socket.resume();
      await expect.poll(() => socketClosed, { timeout: 10_000, interval: 100 }).toBe(true);
    } finally {
      socket.destroy();
    }
  });
});

function summary(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: "A short summary." }, finish_reason: "stop" }] }));
}

describe("an upstream that never finishes", () => {
  it("REQUEST_DEADLINE ends a dripping stream with a deadline_exceeded error event and cancels the upstream", async () => {
    const { gateway, mock } = await stack(
      { reasoningText: "Still thinking. ".repeat(2000), chunkChars: 16, latency: { reasoningChunkMs: 50 } },
      { REQUEST_DEADLINE: "1" },
    );
    const r = await postStaged(gateway.url, { model: "mock-think", messages: userMessage("Think for ever.") });
    expect(r.status).toBe(200);
    const last = r.events.at(-1);
    expect(last?.event).toBe("error");
    expect(last?.data).toMatchObject({ stage: "upstream", code: "deadline_exceeded" });
    expect(names(r)).not.toContain("output.done");
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
  });
});

describe("an upstream being retried", () => {
  it("retries before the upstream accepts are told as upstream.retry events, in order, once the stream commits", async () => {
    const { gateway } = await stack(
      { faults: { fail: { status: 503, times: 2, message: "Endpoint is warming up" } } },
      { UPSTREAM_RETRY_BACKOFF: "0.3", UPSTREAM_MAX_RETRIES: "3" },
    );
    const r = await postStaged(gateway.url, { model: "mock-think", messages: userMessage("hi") });
    expect(r.status).toBe(200);
    const order = names(r).filter((n) => n !== "output.delta");
    expect(order.slice(0, 3)).toEqual(["summary.prompt", "upstream.retry", "upstream.retry"]);
    const retries = r.events.filter((e) => e.event === "upstream.retry").map((e) => e.data);
    expect(retries).toEqual([
      expect.objectContaining({ provider: "upstream", attempt: 1, max_retries: 3, code: "service_unavailable", message: "Endpoint is warming up" }),
      expect.objectContaining({ attempt: 2 }),
    ]);
    expect(order.at(-1)).toBe("output.done");
  });
});
