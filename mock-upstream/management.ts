import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ActionResult, EndpointRegistry } from "./endpoints.js";
import type { ManagementCall, MockOptions } from "./types.js";

/**
 * An emulation of Friendli's dedicated-endpoint management API — status, wake, sleep and restart
 * under `/dedicated/beta/endpoint/{endpoint_id}` — with the published response shapes: a
 * `DedicatedEndpointStatus` body on 200, 400 for an action the endpoint's state does not allow,
 * 404 for an endpoint that does not exist. The spec gives no body for errors; we answer FastAPI's
 * `{"detail": "…"}`, the shape of its documented 422 (`HTTPValidationError`).
 */

export interface ManagementDeps {
  endpoints: EndpointRegistry;
  options: () => MockOptions;
  calls: ManagementCall[];
}

type Action = ManagementCall["action"];

/** Register `GET …/status` and `PUT …/wake|sleep|restart`. */
export function registerManagementRoutes(app: Hono, deps: ManagementDeps): void {
  function answer(c: Context, action: Action, status: number, body: unknown): Response {
    const call: ManagementCall = { action, endpointId: c.req.param("id") ?? "", status, receivedAt: performance.now() };
    const team = c.req.header("x-friendli-team");
    if (team !== undefined) call.team = team;
    deps.calls.push(call);
    return c.json(body, status as ContentfulStatusCode);
  }

  function unauthorized(c: Context): boolean {
    const token = deps.options().managementToken;
    if (token === undefined || token === "") return false;
    return c.req.header("authorization") !== `Bearer ${token}`;
  }

  function handle(action: Action, run: (id: string) => ActionResult) {
    return (c: Context): Response => {
      // Not in the published response list, but every authenticated API answers it; the client explains it.
      if (unauthorized(c)) return answer(c, action, 401, { detail: "Invalid or missing personal API key" });
      const id = c.req.param("id") ?? "";
      const result = run(id);
      if (result.ok) return answer(c, action, 200, result.body);
      if (result.refusal.kind === "not_found") return answer(c, action, 404, { detail: `Endpoint ${id} not found` });
      return answer(c, action, 400, { detail: result.refusal.message });
    };
  }

  const base = "/dedicated/beta/endpoint/:id";
  app.get(
    `${base}/status`,
    handle("status", (id) => deps.endpoints.status(id)),
  );
  app.put(
    `${base}/wake`,
    handle("wake", (id) => deps.endpoints.wake(id)),
  );
  app.put(
    `${base}/sleep`,
    handle("sleep", (id) => deps.endpoints.sleep(id)),
  );
  app.put(
    `${base}/restart`,
    handle("restart", (id) => deps.endpoints.restart(id)),
  );
}
