import { Hono, type Context } from "hono";
import { EventsLostError, type LoggedEvent } from "../fleet/index.js";
import { ApiError } from "./errors.js";
import { ownerOf, type ResumeSettings } from "./resumable.js";
import type { GatewayEnv } from "./types.js";

/*
 * Reconnecting to a stream that is still running (or just finished), on any replica:
 * - `GET /v1/requests/{id}/stream` with `Last-Event-ID: N` (or `?after=N`): the staged events
 *   after N, each exactly once, then the live rest;
 * - `GET /openai/v1/responses/{resp_id}?stream=true&starting_after=N`: the Responses form, N being
 *   a `sequence_number`; without `stream=true` the response object as it stands;
 * - `POST /v1/requests/{id}/cancel` and `POST /openai/v1/responses/{resp_id}/cancel`: end it now.
 * Only the key that started a request may do any of these.
 */

export interface ResumeRouteDeps {
  settings: ResumeSettings;
  keepaliveMs: number;
}

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" };
const encoder = new TextEncoder();

export function resumeRoutes(deps: ResumeRouteDeps) {
  const app = new Hono<GatewayEnv>();
  const { log, control } = deps.settings;

  /** The request's log, if the caller started it: 404 when unknown or lapsed, 403 for another key. */
  async function ownLog(c: Context<GatewayEnv>, requestId: string): Promise<void> {
    const owner = await log.owner(requestId);
    if (owner === undefined) throw new ApiError(404, `no resumable stream for request "${requestId}" (unknown, or its grace period is over)`, "stream_not_found", "not_found_error");
    if (owner !== ownerOf(c.get("apiKey")?.name)) throw new ApiError(403, "only the key that started a request may resume or cancel it", "not_owner", "permission_error");
  }

  /** A stream of the logged events after `after`, live until the request finishes. */
  function follow(c: Context<GatewayEnv>, requestId: string, after: number, lostFrame: (e: EventsLostError) => string): Response {
    const stop = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => stop.abort(), { once: true });
    const detach = control.attach(requestId);
    const events = log.follow(requestId, after, stop.signal)[Symbol.asyncIterator]();
    let keepalive: NodeJS.Timeout | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // A long reasoning phase is silent: keep proxies from cutting the reconnected stream too.
        keepalive = setInterval(() => controller.enqueue(encoder.encode(": ping\n\n")), deps.keepaliveMs);
      },
      async pull(controller) {
        try {
          const next: IteratorResult<LoggedEvent> = await events.next();
          if (next.done) return close(controller);
          controller.enqueue(encoder.encode(`id: ${next.value.id}\n${next.value.frame}`));
        } catch (e) {
          if (e instanceof EventsLostError) controller.enqueue(encoder.encode(lostFrame(e)));
          close(controller);
        }
      },
      cancel() {
        stop.abort();
        clearInterval(keepalive);
        detach();
      },
    });
    const close = (controller: ReadableStreamDefaultController<Uint8Array>) => {
      clearInterval(keepalive);
      detach();
      controller.close();
    };
    return new Response(body, { headers: { ...SSE_HEADERS, "x-request-id": requestId } });
  }

  app.get("/v1/requests/:id/stream", async (c) => {
    const requestId = c.req.param("id");
    const after = lastEventId(c.req.header("last-event-id") ?? c.req.query("after"));
    await ownLog(c, requestId);
    return follow(c, requestId, after, (e) =>
      `event: error\ndata: ${JSON.stringify({ request_id: requestId, stage: "upstream", message: e.message, code: "resume_incomplete", retryable: false })}\n\n`,
    );
  });

  app.post("/v1/requests/:id/cancel", async (c) => {
    const requestId = c.req.param("id");
    await ownLog(c, requestId);
    await control.cancel(requestId);
    return c.json({ request_id: requestId, cancelled: true });
  });

  app.get("/openai/v1/responses/:id", async (c) => {
    const requestId = responseRequestId(c.req.param("id"));
    await ownLog(c, requestId);
    if (c.req.query("stream") === "true") {
      // `starting_after` is a sequence number; the log's ids are sequence numbers + 1.
      const raw = c.req.query("starting_after");
      const after = raw === undefined ? 0 : lastEventId(raw, "starting_after") + 1;
      return follow(c, requestId, after, (e) => `event: error\ndata: ${JSON.stringify({ type: "error", code: "resume_incomplete", message: e.message, param: null })}\n\n`);
    }
    const response = latestResponse(await log.read(requestId, 0));
    if (!response) throw new ApiError(404, `response "${c.req.param("id")}" has no events yet`, "response_not_found", "not_found_error");
    return c.json(response);
  });

  app.post("/openai/v1/responses/:id/cancel", async (c) => {
    const requestId = responseRequestId(c.req.param("id"));
    await ownLog(c, requestId);
    await control.cancel(requestId);
    const response = latestResponse(await log.read(requestId, 0));
    return c.json({ ...(response ?? { id: c.req.param("id"), object: "response" }), status: "cancelled" });
  });

  return app;
}

/** `resp_<request id>` → the request id. */
function responseRequestId(id: string): string {
  if (!id.startsWith("resp_")) throw new ApiError(404, `"${id}" is not a response id of this gateway (resp_…)`, "response_not_found", "not_found_error");
  return id.slice("resp_".length);
}

function lastEventId(raw: string | undefined, name = "Last-Event-ID"): number {
  if (raw === undefined || raw === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(400, `${name}: must be a whole number ≥ 0 (got "${raw.slice(0, 40)}")`, "invalid_request");
  return n;
}

/** The response object of the latest `response.*` lifecycle event in the log. */
function latestResponse(events: LoggedEvent[]): unknown {
  for (let i = events.length - 1; i >= 0; i--) {
    const frame = events[i]?.frame ?? "";
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (!data) continue;
    try {
      const parsed = JSON.parse(data) as { response?: unknown };
      if (parsed.response !== undefined) return parsed.response;
    } catch {
      // Not JSON: not one of ours.
    }
  }
  return undefined;
}
