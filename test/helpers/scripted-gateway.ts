import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { randomUUID } from "node:crypto";
import { createGateway } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import { formatSse, stagedMessage, type StagedEvent } from "../../src/events/index.js";
import { silentLogger } from "../../src/observability/index.js";

/*
 * The real gateway app (pages, assets, CSP, every other route) with `/v1/chat/completions` and
 * the model lists (`/v1/models`, `/openai/v1/models`) replaced by a script. It lets browser tests show events the pipeline does not emit
 * yet, or not on cue (progress summaries, tool calls, research sources, a stream that breaks in
 * the middle of the answer), through the same pages and headers a user gets.
 */

export type ScriptStep =
  | { wait: number }
  | { event: StagedEvent }
  /** Keep the stream open, sending nothing, until the client leaves. */
  | { hang: true }
  /** Cut the connection without ending the stream properly. */
  | { destroy: true }
  /** Wait until the test says so (e.g. once the page shows what was sent), never a guessed delay. */
  | { gate: Promise<void> };

/** What to answer one chat request with: a JSON error, or a stream of steps. */
export type ScriptReply = { status: number; json: unknown } | { steps: ScriptStep[] };

export interface ScriptedGateway {
  url: string;
  /** Every chat body received, in order. */
  bodies: Record<string, unknown>[];
  /** How many streams the client left before they ended (Stop). */
  aborted(): number;
  close(): Promise<void>;
}

/** Builders for the staged events, so scripts read like the protocol. */
export const ev = {
  prompt: (text: string, source: "model" | "fallback" = "model"): StagedEvent => ({ event: "summary.prompt", data: { request_id: "r", text, source } }),
  progress: (index: number, text: string): StagedEvent => ({ event: "summary.progress", data: { request_id: "r", index, text, source: "model" } }),
  reasoning: (text: string, source: "model" | "fallback" | "empty" = "model"): StagedEvent => ({
    event: "summary.reasoning",
    data: { request_id: "r", text, source },
  }),
  delta: (text: string): StagedEvent => ({ event: "output.delta", data: { request_id: "r", text } }),
  tools: (tool_calls: Extract<StagedEvent, { event: "output.tool_calls" }>["data"]["tool_calls"]): StagedEvent => ({
    event: "output.tool_calls",
    data: { request_id: "r", tool_calls },
  }),
  sources: (query: string, sources: { index: number; title: string; url: string; snippet: string }[]): StagedEvent => ({
    event: "research.sources",
    data: { request_id: "r", query, sources },
  }),
  error: (stage: "upstream" | "prompt_summary" | "reasoning_summary", message: string, code: string): StagedEvent => ({
    event: "error",
    data: { request_id: "r", stage, message, code, retryable: false },
  }),
  done: (total = 1000): StagedEvent => ({
    event: "output.done",
    data: {
      request_id: "r",
      finish_reason: "stop",
      timings: { prompt_summary: 100, reasoning_end: total - 200, reasoning_summary: total - 100, first_output: total - 90, total },
      route: { provider: "scripted", strategy: "priority", reason: "only provider", attempts: 1 },
    },
  }),
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/** Starts one per test; every one started is closed after the test. */
export function useScriptedGateway(): (script: (body: Record<string, unknown>, n: number) => ScriptReply, models?: string[]) => Promise<ScriptedGateway> {
  const open: ScriptedGateway[] = [];
  afterEach(async () => {
    for (const g of open.splice(0)) await g.close();
  });
  return async (script, models = ["mock-plain", "scripted-reasoner"]) => {
    const g = await startScriptedGateway(script, models);
    open.push(g);
    return g;
  };
}

export async function startScriptedGateway(script: (body: Record<string, unknown>, n: number) => ScriptReply, models: string[]): Promise<ScriptedGateway> {
  const gateway = createGateway({
    config: loadConfig({ UPSTREAM_BASE_URL: "http://127.0.0.1:9/v1", PORT: "0" }),
    fetch: globalThis.fetch,
    now: () => performance.now(),
    wallClock: () => Date.now(),
    newId: () => randomUUID(),
    random: Math.random,
    logger: silentLogger(),
  });
  const bodies: Record<string, unknown>[] = [];
  let aborted = 0;
  const app = new Hono();
  const list = () => ({ object: "list", data: models.map((id) => ({ id, object: "model", owned_by: "gateway" })) });
  app.get("/v1/models", (c) => c.json(list()));
  app.get("/openai/v1/models", (c) => c.json(list()));
  app.post("/v1/chat/completions", async (c) => {
    const body = await c.req.json<Record<string, unknown>>();
    bodies.push(body);
    const reply = script(body, bodies.length);
    if ("json" in reply) return c.json(reply.json, reply.status as 400);
    const signal = c.req.raw.signal;
    const { incoming } = c.env as { incoming: IncomingMessage };
    const encoder = new TextEncoder();
    let finished = false;
    signal.addEventListener("abort", () => void (finished || aborted++), { once: true });
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          for (const step of reply.steps) {
            if (signal.aborted) return;
            if ("wait" in step) await sleep(step.wait, signal);
            else if ("event" in step) controller.enqueue(encoder.encode(formatSse(stagedMessage(step.event))));
            else if ("hang" in step) await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
            else if ("gate" in step) await step.gate;
            else {
              // Like a proxy dying mid-stream: the socket goes, with no end to the chunked body.
              incoming.socket.destroy();
              return;
            }
          }
          finished = true;
          controller.close();
        } catch {
          // The client left while we were writing: nothing to do.
        }
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": `scripted-${bodies.length}` } });
  });
  app.all("*", (c) => gateway.app.fetch(c.req.raw));

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    aborted: () => aborted,
    close: () =>
      new Promise<void>((resolve) => {
        if ("closeAllConnections" in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
