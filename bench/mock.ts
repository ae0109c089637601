import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { createMockUpstream, type DeepPartial, type MockOptions } from "../mock-upstream/index.js";
import { epochNow } from "./clock.js";
import type { TraceDump, TracedFrame, TracedStream } from "./trace-types.js";

export interface BenchMock {
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

const decoder = new TextDecoder();

/** Record the time and text of every frame the mock writes; the mock enqueues one frame per chunk. */
function traced(body: ReadableStream<Uint8Array>, stream: TracedStream): ReadableStream<Uint8Array> {
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const t = epochNow();
        controller.enqueue(chunk);
        const text = decoder.decode(chunk);
        if (!text.startsWith("data: {")) return;
        const frame: TracedFrame = { t };
        const parsed = JSON.parse(text.slice(6)) as { choices?: { delta?: Record<string, unknown> }[] };
        const delta = parsed.choices?.[0]?.delta ?? {};
        if (typeof delta.content === "string") frame.content = delta.content;
        const r = delta.reasoning_content ?? delta.reasoning;
        if (typeof r === "string") frame.reasoning = r;
        stream.frames.push(frame);
      },
      flush() {
        stream.endedAt = epochNow();
      },
    }),
  );
}

/**
 * The project's mock upstream with three bench-only routes, served on its own:
 * `GET /__bench/clock` (for the clock offset), `POST /__bench/trace` `{on}` (timestamp streamed
 * frames; off for throughput runs, where the extra parse would lower the mock's ceiling) and
 * `GET /__bench/trace` (hand over and forget what was recorded, including the tokens each
 * non-streamed call — a summary — was answered with). The mock's own `/_mock/config`
 * changes latencies between phases.
 */
export async function startBenchMock(options: DeepPartial<MockOptions>, port = 0, host = "127.0.0.1"): Promise<BenchMock> {
  const mock = createMockUpstream(options);
  let tracing = false;
  let streams: TracedStream[] = [];
  // Tokens of each non-streamed call (a summary) by the mock's call id, read off its answer.
  let tokens = new Map<number, number>();
  const app = new Hono();
  app.get("/__bench/clock", (c) => c.json({ now: epochNow() }));
  app.post("/__bench/trace", async (c) => {
    tracing = (await c.req.json<{ on?: unknown }>()).on === true;
    return c.json({ tracing });
  });
  app.get("/__bench/trace", (c) => {
    const origin = performance.timeOrigin;
    const dump: TraceDump = {
      streams,
      calls: mock.calls.map((k) => {
        const used = tokens.get(k.id);
        return {
          kind: k.kind,
          model: k.model,
          receivedAt: origin + k.receivedAt,
          endedAt: k.endedAt === undefined ? null : origin + k.endedAt,
          ...(used !== undefined && { tokens: used }),
        };
      }),
    };
    streams = [];
    tokens = new Map();
    mock.reset();
    return c.json(dump);
  });
  app.all("*", async (c) => {
    if (!tracing || c.req.method !== "POST") return mock.app.fetch(c.req.raw, c.env);
    const body = (await c.req.raw.clone().json()) as { model?: unknown; stream?: unknown };
    const res = await mock.app.fetch(c.req.raw, c.env);
    if (body.stream !== true && res.status === 200) {
      const answer = (await res.clone().json()) as { id?: unknown; usage?: { total_tokens?: unknown } };
      const id = /^chatcmpl-mock-(\d+)$/.exec(String(answer.id))?.[1];
      if (id !== undefined && typeof answer.usage?.total_tokens === "number") tokens.set(Number(id), answer.usage.total_tokens);
      return res;
    }
    if (body.stream !== true || !res.body || res.status !== 200) return res;
    const stream: TracedStream = { model: String(body.model), headersAt: epochNow(), frames: [], endedAt: null };
    streams.push(stream);
    return new Response(traced(res.body, stream), { status: res.status, headers: res.headers });
  });

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    baseUrl: `http://${host}:${actual}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        if ("closeAllConnections" in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
