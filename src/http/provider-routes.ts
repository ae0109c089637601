import { Hono } from "hono";
import { STRATEGIES, type Router, type StrategyName } from "../providers/index.js";
import { ApiError } from "./errors.js";
import type { GatewayEnv } from "./types.js";

/** One provider as operators see it (`GET /v1/providers`, and the stats' `providers`). */
export function providerJson(s: ReturnType<Router["snapshots"]>[number]) {
  return {
    id: s.id,
    tier: s.tier,
    kind: s.kind,
    base_url: s.base_url,
    state: s.state,
    in_flight: s.inFlight,
    requests: s.requests,
    successes: s.successes,
    failures: s.failures,
    success_rate: s.successRate,
    latency_ewma_ms: s.latencyEwmaMs,
    cooldown_remaining_ms: s.cooldownRemainingMs,
    consecutive_failures: s.consecutiveFailures,
    // Cloud-only mode: JSON requests skip a provider whose answers keep failing their schema.
    json: { skipped: s.json.skipped, checked: s.json.checked, failed: s.json.failed, retry_in_ms: s.json.retryInMs },
  };
}

/** An operator's change, for the dashboard's event tail. */
export interface OperatorEvent {
  level: "info";
  type: "strategy" | "reset";
  message: string;
}

/**
 * Routing state for operators: look, reset, switch strategy at run time. Each change is told to
 * `record` so the event tail shows who changed what when, beside the cooldowns it explains.
 */
export function providerRoutes(router: Router, record: (e: OperatorEvent) => void = () => undefined) {
  const app = new Hono<GatewayEnv>();
  app.get("/v1/providers", (c) => c.json({ providers: router.snapshots().map(providerJson), routes: router.routes() }));
  app.post("/v1/providers/reset", (c) => {
    router.reset();
    record({ level: "info", type: "reset", message: "providers reset by an operator: states back to active, strategies back to the configured ones" });
    return c.json({ status: "reset" });
  });
  app.post("/v1/providers/strategy/:name", (c) => {
    const name = c.req.param("name");
    if (!(STRATEGIES as readonly string[]).includes(name)) {
      throw new ApiError(400, `unknown strategy "${name}"; expected one of ${STRATEGIES.join(", ")}`, "unknown_strategy");
    }
    const model = c.req.query("model");
    const before = router.routes();
    const changed = router.setStrategy(name as StrategyName, model);
    if (changed === 0) throw new ApiError(404, `no route for model "${model ?? ""}"`, "route_not_found");
    const was = [...new Set(before.filter((r) => model === undefined || r.model === model).map((r) => r.strategy))].join(", ");
    record({
      level: "info",
      type: "strategy",
      message: `strategy ${was} → ${name} on ${model === undefined ? "every route" : `route ${model}`} (${changed} changed)`,
    });
    return c.json({ strategy: name, routes_changed: changed, routes: router.routes() });
  });
  return app;
}
