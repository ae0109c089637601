import { Hono } from "hono";
import type { UpstreamClient, UpstreamTarget } from "../upstream/index.js";
import type { GatewayEnv } from "./types.js";

const PROBE_TIMEOUT_MS = 5_000;

/** Liveness (never touches the upstream) and an upstream reachability probe. */
export function healthRoutes(deps: { client: UpstreamClient; target: UpstreamTarget }) {
  const app = new Hono<GatewayEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/upstream-health", async (c) => {
    const r = await deps.client.probe(deps.target, PROBE_TIMEOUT_MS, c.req.raw.signal);
    const body = {
      status: r.ok ? "ok" : "unavailable",
      upstream: deps.target.baseUrl,
      http_status: r.status ?? null,
      latency_ms: Math.round(r.latencyMs),
      ...(r.ok ? {} : { reason: r.error ?? `upstream answered HTTP ${r.status}` }),
    };
    return c.json(body, r.ok ? 200 : 503);
  });
  return app;
}
