/**
 * A tiny scripted gateway on a real socket (port 0): it answers POST /v1/chat/completions with a
 * scripted SSE stream or a JSON error, records what it was sent, and notices disconnects.
 */
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";

export type Step =
  | { event: string; data: unknown }
  | { delayMs: number }
  /** Raw bytes, for malformed frames and split chunks. */
  | { raw: string }
  /** Stop writing but keep the connection open until the client goes away. */
  | { hang: true };

export type Reply = { status: number; json: unknown } | { sse: Step[] };

export interface RecordedRequest {
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface FakeGateway {
  /** The chat URL, `…/v1/chat/completions`. */
  url: string;
  /** The base URL, `http://127.0.0.1:PORT`, as GATEWAY_URL is meant. */
  base: string;
  requests: RecordedRequest[];
  /** How many times GET /openai/v1/models was asked (a client without --model asks once). */
  modelLookups: number;
  /** How many streams the client closed before the script ended. */
  disconnects: number;
  /** Resolves at the first disconnect. */
  disconnected: Promise<void>;
  close(): Promise<void>;
}

export const REQUEST_ID = "req-test-1";

/** The usual happy stream: both summaries, a two-part answer, done. */
export function happyScript(overrides: { reasoningText?: string; reasoningSource?: string } = {}): Step[] {
  const id = REQUEST_ID;
  return [
    { event: "summary.prompt", data: { request_id: id, text: "The user asks about a bat and a ball.", source: "model" } },
    {
      event: "summary.reasoning",
      data: { request_id: id, text: overrides.reasoningText ?? "- set up x + (x + 1) = 1.10", source: overrides.reasoningSource ?? "model" },
    },
    { event: "output.delta", data: { request_id: id, text: "The ball costs " } },
    { event: "output.delta", data: { request_id: id, text: "$0.05." } },
    {
      event: "output.done",
      data: {
        request_id: id,
        finish_reason: "stop",
        usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 },
        timings: { prompt_summary: 120, reasoning_end: 900, reasoning_summary: 1100, first_output: 1150, total: 1400 },
      },
    },
  ];
}

/** The models the fake lists by default: the first one is what a client without --model uses. */
export const FAKE_MODELS = ["fake-reasoner", "fake-plain"];

/**
 * Start the fake; `reply` may depend on the request body. `models` is the body of
 * `GET /openai/v1/models` (default: {@link FAKE_MODELS} in OpenAI's list shape), or a status and body.
 */
export async function startFakeGateway(
  reply: Reply | ((body: Record<string, unknown>) => Reply),
  opts: { models?: unknown; modelsStatus?: number } = {},
): Promise<FakeGateway> {
  let markDisconnected: () => void = () => {};
  const gw: FakeGateway = {
    url: "",
    base: "",
    requests: [],
    modelLookups: 0,
    disconnects: 0,
    disconnected: new Promise<void>((resolve) => (markDisconnected = resolve)),
    close: async () => {},
  };
  const app = new Hono();
  const models = opts.models ?? { object: "list", data: FAKE_MODELS.map((id) => ({ id, object: "model", created: 0, owned_by: "gateway" })) };
  app.get("/openai/v1/models", (c) => {
    gw.modelLookups++;
    c.header("x-request-id", "req-models");
    return c.json(models as Record<string, unknown>, (opts.modelsStatus ?? 200) as 200);
  });
  app.post("/v1/chat/completions", async (c) => {
    const body = await c.req.json<Record<string, unknown>>();
    gw.requests.push({ body, headers: Object.fromEntries(c.req.raw.headers) });
    const r = typeof reply === "function" ? reply(body) : reply;
    if ("json" in r) return c.json(r.json as object, r.status as 400);
    c.header("x-request-id", REQUEST_ID);
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => {
        gw.disconnects++;
        markDisconnected();
      });
      for (const step of r.sse) {
        if (stream.aborted) return;
        if ("delayMs" in step) await stream.sleep(step.delayMs);
        else if ("raw" in step) await stream.write(step.raw);
        else if ("hang" in step) await new Promise<void>((resolve) => stream.onAbort(resolve));
        else await stream.writeSSE({ event: step.event, data: JSON.stringify(step.data) });
      }
    });
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  gw.base = `http://127.0.0.1:${port}`;
  gw.url = `${gw.base}/v1/chat/completions`;
  gw.close = () =>
    new Promise<void>((resolve) => {
      // Hanging streams would keep close() waiting forever.
      if ("closeAllConnections" in server) server.closeAllConnections();
      server.close(() => resolve());
    });
  return gw;
}
