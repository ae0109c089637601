import { Hono, type Context } from "hono";
import type { UpstreamClient, UpstreamTarget } from "../upstream/index.js";
import type { GatewayEnv } from "./types.js";

const PROBE_TIMEOUT_MS = 5_000;

/**
 * Liveness (never touches the upstream) and an upstream reachability probe. The probe's answer
 * names the upstream's URL and the failure's wording only to a caller `disclose` lets see them:
 * with access control on, an anonymous load balancer learns up or down, not where the upstream is.
 */
export function healthRoutes(deps: { client: UpstreamClient; target: UpstreamTarget; disclose?: (c: Context) => Promise<boolean> }) {
  const app = new Hono<GatewayEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/upstream-health", async (c) => {
    const r = await deps.client.probe(deps.target, PROBE_TIMEOUT_MS, c.req.raw.signal);
    const detail = deps.disclose ? await deps.disclose(c) : true;
    const body = {
      status: r.ok ? "ok" : "unavailable",
      ...(detail && { upstream: deps.target.baseUrl }),
      http_status: r.status ?? null,
      latency_ms: Math.round(r.latencyMs),
      ...(!r.ok && { reason: detail ? (r.error ?? `upstream answered HTTP ${r.status}`) : "the upstream did not answer (details for authenticated callers)" }),
    };
    return c.json(body, r.ok ? 200 : 503);
  });
  return app;
}
