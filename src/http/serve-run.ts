import type { Context } from "hono";
import { createCollector, runStaged, type Collected, type StagedRequest } from "../pipeline/index.js";
import type { StreamEncoder } from "../surfaces/index.js";
import { failureResponse } from "./failure.js";
import { CLIENT_CLOSED_STATUS, settle } from "./outcome.js";
import { ownerOf } from "./resumable.js";
import { streamResponse } from "./stream-response.js";
import type { ChatRouteDeps, GatewayEnv } from "./types.js";
import { requestHeader } from "./request-header.js";

/** The answer to a client that left before its JSON was ready (nobody reads it). */
const CLOSED = { message: "client closed the request", type: "client_closed", code: "client_closed" };

/** How a surface answers one request: its stream encoder, and its JSON for `stream:false`. */
export interface SurfaceAnswer {
  encoder: () => StreamEncoder;
  /** Absent for a surface that always streams (the AI SDK's UI message stream). */
  json?: (r: Collected) => unknown;
  /** Whether a dropped stream of this surface may be resumed. */
  resumable: boolean;
}

/**
 * Run one request through the pipeline and answer it in a surface's dialect: streamed (the commit
 * rule, backpressure, resumable ids) or collected into one JSON body, whose failure is the status.
 */
export async function serveRun(c: Context<GatewayEnv>, staged: StagedRequest, deps: ChatRouteDeps, answer: SurfaceAnswer): Promise<Response> {
  // The caller's trace, for the request's span to continue (read only when tracing is on).
  const req = deps.pipeline.tracing
    ? { ...staged, trace: { traceparent: requestHeader(c, "traceparent"), tracestate: requestHeader(c, "tracestate"), route: c.req.routePath } }
    : staged;
  const json = answer.json;
  if (req.stream || !json) {
    return streamResponse(c, {
      requestId: req.requestId,
      encoder: answer.encoder(),
      keepaliveMs: deps.config.keepaliveMs,
      stallMs: deps.config.clientStallMs,
      run: (sink, bindCancel) => runStaged(req, deps.pipeline, sink, undefined, bindCancel),
      ...(answer.resumable && deps.resume && { resume: { settings: deps.resume, owner: ownerOf(req.keyName) } }),
      onBug: (e) => deps.pipeline.logger.error({ err: e, request_id: req.requestId }, "pipeline bug"),
    });
  }
  const { sink, result } = createCollector();
  const run = await runStaged(req, deps.pipeline, sink, c.req.raw.signal);
  const providerHeader: Record<string, string> = result.provider ? { "x-gateway-provider": result.provider } : {};
  // Nothing is sent before the run is over: a failure is always its own status.
  const settled = settle(run.end, false);
  run.record(settled.outcome, settled.status);
  // Answered here, not thrown: a failed run is already recorded, and is no edge rejection.
  const f = settled.failure;
  if (f) return failureResponse(f, providerHeader);
  if (settled.outcome === "client_closed") return failureResponse({ ...CLOSED, status: CLIENT_CLOSED_STATUS, retryable: false });
  return c.json(json(result), 200, providerHeader);
}
