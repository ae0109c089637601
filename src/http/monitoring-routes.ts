import { Hono } from "hono";
import { z } from "zod";
import { REQUEST_OUTCOMES, type RequestOutcome } from "../events/index.js";
import type { FleetNumbers, Metrics, Monitor, NumbersScope } from "../observability/index.js";
import { RequestLogStartingError, type RequestLog } from "../storage/index.js";
import { ApiError } from "./errors.js";
import type { GatewayEnv } from "./types.js";

const OUTCOMES = REQUEST_OUTCOMES as readonly [RequestOutcome, ...RequestOutcome[]];

const listQuery = z.object({
  limit: z.coerce.number({ message: "must be a number" }).int().min(1).max(500).default(50),
  model: z.string().min(1).optional(),
  provider: z.string().min(1).optional(),
  key_name: z.string().min(1).optional(),
  status: z.enum(OUTCOMES, { message: `must be one of ${OUTCOMES.join(", ")}` }).optional(),
  before: z.iso.datetime({ message: "must be an ISO date-time" }).optional(),
});

/** What the monitoring routes need to know about the other replicas (src/fleet/ provides it). */
export interface FleetView {
  /** This replica's id. */
  readonly id: string;
  /** Every live replica, this one included. */
  members(): Promise<unknown[]>;
  /** off = no REDIS_URL; down = serving with local state. */
  redis(): "off" | "up" | "down";
}

export interface MonitoringDeps {
  metrics: Metrics;
  monitor: Monitor;
  requestLog: RequestLog | undefined;
  fleet?: FleetView;
  /** The providers as the (possibly shared) routing state sees them. */
  providers?: () => unknown[];
  /** Replaces this process's own registry for `/metrics` (every worker's series under WORKERS > 1). */
  renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** The fleet's headline numbers (Redis, or the cluster primary); absent = this process is the fleet. */
  numbers?: FleetNumbers;
}

/** Prometheus, the in-process monitor, and the request log, for operators and the dashboard. */
export function monitoringRoutes(deps: MonitoringDeps) {
  const app = new Hono<GatewayEnv>();
  app.get("/metrics", async (c) => {
    const { contentType, body } = await (deps.renderMetrics ?? deps.metrics.render)();
    return c.body(body, 200, { "content-type": contentType });
  });
  app.get("/v1/monitoring/stats", async (c) => {
    // The window's figures are the fleet's when they can be had, this replica's otherwise — and
    // the answer says which. Uptime, in_flight and the validation tally are always this replica's.
    const own = deps.monitor.stats();
    const fleet = await deps.numbers?.stats();
    const scope: NumbersScope = fleet ? "fleet" : "replica";
    return c.json({
      ...own,
      ...(fleet ?? { replicas: 1 }),
      scope,
      request_log: deps.requestLog ? deps.requestLog.stats() : null,
      ...(deps.fleet && { instance: deps.fleet.id, redis: deps.fleet.redis(), fleet: await deps.fleet.members() }),
      ...(deps.providers && { providers: deps.providers() }),
    });
  });
  app.get("/v1/monitoring/series", async (c) => {
    const raw = c.req.query("minutes") ?? "15";
    const minutes = Number(raw);
    const most = deps.monitor.seriesMinutes;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > most) {
      throw new ApiError(400, `minutes: must be a whole number from 1 to ${most} (got "${raw}")`, "invalid_query");
    }
    const fleet = await deps.numbers?.series(minutes);
    const scope: NumbersScope = fleet ? "fleet" : "replica";
    return c.json({ ...(fleet ?? { ...deps.monitor.series(minutes), replicas: 1 }), scope });
  });
  app.get("/v1/monitoring/health", (c) => {
    const redis = deps.fleet?.redis();
    // Redis down is not an outage (requests are served with local state), but operators must know.
    return c.json({ ...deps.monitor.health(), ...(redis !== undefined && { status: redis === "down" ? "degraded" : "ok", redis, instance: deps.fleet?.id }) });
  });
  app.get("/v1/monitoring/logs", (c) => {
    const count = Number(c.req.query("count") ?? "100");
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new ApiError(400, "count: must be a whole number from 1 to 1000", "invalid_query");
    return c.json({ events: deps.monitor.logs(count) });
  });
  app.get("/v1/requests", async (c) => {
    const log = requireLog(deps.requestLog);
    const q = listQuery.safeParse(c.req.query());
    if (!q.success) {
      throw new ApiError(400, q.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "), "invalid_query");
    }
    const rows = await unavailableOnError(
      log.list({
        limit: q.data.limit,
        ...(q.data.model && { model: q.data.model }),
        ...(q.data.provider && { provider: q.data.provider }),
        ...(q.data.key_name && { keyName: q.data.key_name }),
        ...(q.data.status && { outcome: q.data.status }),
        ...(q.data.before && { before: new Date(q.data.before) }),
      }),
    );
    return c.json({ requests: rows, next_before: rows.length === q.data.limit ? rows.at(-1)?.startedAt.toISOString() : null });
  });
  app.get("/v1/requests/:id", async (c) => {
    const row = await unavailableOnError(requireLog(deps.requestLog).get(c.req.param("id")));
    if (!row) throw new ApiError(404, `no request with id "${c.req.param("id")}" in the request log`, "not_found");
    return c.json(row);
  });
  return app;
}

function requireLog(log: RequestLog | undefined): RequestLog {
  if (!log) throw new ApiError(503, "the request log is disabled (REQUEST_LOG=false)", "request_log_disabled", "server_error");
  return log;
}

/**
 * A database that is down is the server's problem, not the caller's: 503 with the reason. One that
 * is still opening (the gateway listens before its request log is open) is 503
 * `request_log_starting` with a Retry-After, so a page or script knows to simply ask again.
 */
async function unavailableOnError<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof RequestLogStartingError) throw new ApiError(503, e.message, "request_log_starting", "server_error", { "retry-after": "2" });
    throw new ApiError(503, `the request log is unavailable: ${e instanceof Error ? e.message : String(e)}`, "request_log_unavailable", "server_error");
  }
}
