import { Hono, type Context } from "hono";
import { EventLogUnavailableError, EventsLostError, type LoggedMessage, type StreamMeta } from "../fleet/index.js";
import { ApiError } from "./errors.js";
import { ownerOf, type ResumeSettings } from "./resumable.js";
import { alreadySent, channelFor, headersOf, SseStream } from "./sse-stream.js";
import type { GatewayEnv } from "./types.js";

/*
 * Reconnecting to a stream that is still running (or just finished), on any replica:
 * - `GET /v1/requests/{id}/stream` with `Last-Event-ID: N` (or `?after=N`): the staged events
 *   after N, each exactly once, then the live rest;
 * - `GET /openai/v1/responses/{resp_id}?stream=true&starting_after=N`: the Responses form, N being
 *   a `sequence_number`; without `stream=true` the response object as it stands;
 * - `POST /v1/requests/{id}/cancel` and `POST /openai/v1/responses/{resp_id}/cancel`: end it now.
 * Only the key that started a request may do any of these. A stream that cannot be continued
 * exactly — its events lapsed, were never all kept, or its replica stopped — ends with an error
 * event saying so, never with a clean end.
 */

export interface ResumeRouteDeps {
  settings: ResumeSettings;
  keepaliveMs: number;
  stallMs: number;
  /** Is the replica running a request still alive (its heartbeat)? */
  isAlive: (instance: string) => Promise<boolean>;
}

/** The error a reader gets when the stream cannot continue exactly, in each dialect. */
export type LostMessage = (e: EventsLostError) => { event?: string; data: string };

/** A stream of the logged messages after `after`, live until the request's log ends. */
export function followLog(
  c: Context<GatewayEnv>,
  deps: ResumeRouteDeps,
  requestId: string,
  meta: StreamMeta,
  after: number,
  lost: LostMessage,
): Promise<Response> {
  const { log, control } = deps.settings;
  return new Promise<Response>((resolve) => {
    const stop = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => stop.abort(), { once: true });
    const { channel, direct } = channelFor(c, resolve, () => stop.abort());
    const stream = new SseStream(channel, { keepaliveMs: deps.keepaliveMs, stallMs: deps.stallMs, onStall: () => stop.abort() });
    stream.open({ ...headersOf(c), "x-request-id": requestId });
    if (direct) resolve(alreadySent());
    const detach = control.attach(requestId);
    void (async () => {
      try {
        for await (const m of log.follow(requestId, after, stop.signal, () => deps.isAlive(meta.instance))) {
          stream.write(m, m.id);
          const wait = stream.ready();
          if (wait) await wait;
        }
      } catch (e) {
        if (!(e instanceof EventsLostError)) throw e;
        stream.write(lost(e));
      } finally {
        detach();
        stream.end();
      }
    })();
  });
}

export function resumeRoutes(deps: ResumeRouteDeps) {
  const app = new Hono<GatewayEnv>();
  const { log, control } = deps.settings;

  /** The request's log, if the caller started it: 404 when unknown or lapsed, 403 for another key. */
  async function ownLog(c: Context<GatewayEnv>, requestId: string): Promise<StreamMeta> {
    const meta = await log.meta(requestId).catch((e: unknown) => {
      if (e instanceof EventLogUnavailableError)
        throw new ApiError(503, `cannot look up request "${requestId}" now: ${e.message}; retry shortly`, "resume_unavailable", "server_error", {
          "retry-after": "1",
        });
      throw e;
    });
    if (meta === undefined)
      throw new ApiError(404, `no resumable stream for request "${requestId}" (unknown, or its grace period is over)`, "stream_not_found", "not_found_error");
    if (meta.owner !== ownerOf(c.get("apiKey")?.name))
      throw new ApiError(403, "only the key that started a request may resume or cancel it", "not_owner", "permission_error");
    return meta;
  }

  app.get("/v1/requests/:id/stream", async (c) => {
    const requestId = c.req.param("id");
    const after = lastEventId(c.req.header("last-event-id") ?? c.req.query("after"));
    const meta = await ownLog(c, requestId);
    return followLog(c, deps, requestId, meta, after, (e) => ({
      event: "error",
      data: JSON.stringify({ request_id: requestId, stage: "upstream", message: e.message, code: "resume_incomplete", retryable: false }),
    }));
  });

  app.post("/v1/requests/:id/cancel", async (c) => {
    const requestId = c.req.param("id");
    await ownLog(c, requestId);
    await control.cancel(requestId);
    return c.json({ request_id: requestId, cancelled: true });
  });

  app.get("/openai/v1/responses/:id", async (c) => {
    const requestId = responseRequestId(c.req.param("id"));
    const meta = await ownLog(c, requestId);
    if (c.req.query("stream") === "true") {
      // `starting_after` is a sequence number; the log's ids are sequence numbers + 1.
      const raw = c.req.query("starting_after");
      const after = raw === undefined ? 0 : lastEventId(raw, "starting_after") + 1;
      return followLog(c, deps, requestId, meta, after, (e) => ({
        event: "error",
        data: JSON.stringify({ type: "error", code: "resume_incomplete", message: e.message, param: null }),
      }));
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

export function lastEventId(raw: string | undefined, name = "Last-Event-ID"): number {
  if (raw === undefined || raw === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(400, `${name}: must be a whole number ≥ 0 (got "${raw.slice(0, 40)}")`, "invalid_request");
  return n;
}

/** The response object of the latest `response.*` lifecycle message in the log. */
function latestResponse(messages: LoggedMessage[]): unknown {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m?.event?.startsWith("response.")) continue;
    try {
      const parsed = JSON.parse(m.data) as { response?: unknown };
      if (parsed.response !== undefined) return parsed.response;
    } catch {
      // Not JSON: not one of ours.
    }
  }
  return undefined;
}
