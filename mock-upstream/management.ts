import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorBody } from "./openai.js";
import type { ManagementCall, MockOptions } from "./types.js";

/**
 * An emulation of Friendli's dedicated-endpoint management API (status and wake), enough to test a
 * gateway that wakes a sleeping endpoint before sending it traffic. States are computed from
 * timestamps, so no timer runs between calls.
 */

export type EndpointStatus = "SLEEPING" | "AWAKING" | "RUNNING" | "FAILED" | "TERMINATED";
export type WakePhase = "PROVISIONING" | "LOADING_MODEL" | "WARMING_UP";

const PHASES: readonly WakePhase[] = ["PROVISIONING", "LOADING_MODEL", "WARMING_UP"];

interface Endpoint {
  initial: EndpointStatus;
  /** `stuck` endpoints go AWAKING on wake and never finish: a wake that hangs. */
  stuck: boolean;
  wokeAt?: number;
}

export interface EndpointState {
  status: EndpointStatus;
  phase: WakePhase | null;
}

export interface EndpointRegistry {
  state(id: string): EndpointState;
  /** Start waking; the state right after (a 409 case is left to the caller). */
  wake(id: string): EndpointState;
  reset(): void;
}

/** The state an endpoint is born in, chosen by words in its id so tests need no setup calls. */
function initialStatus(id: string): Endpoint {
  const lower = id.toLowerCase();
  if (lower.includes("failed")) return { initial: "FAILED", stuck: false };
  if (lower.includes("terminated")) return { initial: "TERMINATED", stuck: false };
  if (lower.includes("running")) return { initial: "RUNNING", stuck: false };
  return { initial: "SLEEPING", stuck: lower.includes("stuck") };
}

/** Create an empty registry; `wakeDelayMs` is read at every look so `configure` applies at once. */
export function createEndpointRegistry(wakeDelayMs: () => number, now: () => number = () => performance.now()): EndpointRegistry {
  const endpoints = new Map<string, Endpoint>();

  function get(id: string): Endpoint {
    let endpoint = endpoints.get(id);
    if (endpoint === undefined) {
      endpoint = initialStatus(id);
      endpoints.set(id, endpoint);
    }
    return endpoint;
  }

  function state(id: string): EndpointState {
    const endpoint = get(id);
    if (endpoint.initial !== "SLEEPING") return { status: endpoint.initial, phase: null };
    if (endpoint.wokeAt === undefined) return { status: "SLEEPING", phase: null };
    const delay = wakeDelayMs();
    const elapsed = now() - endpoint.wokeAt;
    if (!endpoint.stuck && elapsed >= delay) return { status: "RUNNING", phase: null };
    // Phases are spread evenly over the wake delay; a stuck endpoint stays in the last one.
    const index = delay <= 0 ? PHASES.length - 1 : Math.min(PHASES.length - 1, Math.floor((elapsed / delay) * PHASES.length));
    return { status: "AWAKING", phase: PHASES[index] ?? "WARMING_UP" };
  }

  return {
    state,
    wake(id) {
      const endpoint = get(id);
      if (endpoint.initial === "SLEEPING" && endpoint.wokeAt === undefined) endpoint.wokeAt = now();
      return state(id);
    },
    reset() {
      endpoints.clear();
    },
  };
}

export interface ManagementDeps {
  endpoints: EndpointRegistry;
  options: () => MockOptions;
  calls: ManagementCall[];
}

/** Register `GET …/status` and `PUT …/wake` under `/dedicated/beta/endpoint/:id`. */
export function registerManagementRoutes(app: Hono, deps: ManagementDeps): void {
  function answer(c: Context, action: ManagementCall["action"], status: number, body: unknown): Response {
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

  app.get("/dedicated/beta/endpoint/:id/status", (c) => {
    if (unauthorized(c)) return answer(c, "status", 401, errorBody(401, "Invalid or missing management token", "invalid_token"));
    const id = c.req.param("id");
    const { status, phase } = deps.endpoints.state(id);
    return answer(c, "status", 200, { id, status, phase });
  });

  app.put("/dedicated/beta/endpoint/:id/wake", (c) => {
    if (unauthorized(c)) return answer(c, "wake", 401, errorBody(401, "Invalid or missing management token", "invalid_token"));
    const id = c.req.param("id");
    const before = deps.endpoints.state(id);
    if (before.status === "FAILED" || before.status === "TERMINATED") {
      const message = `Endpoint ${id} is ${before.status} and cannot be woken`;
      return answer(c, "wake", 409, errorBody(409, message, "endpoint_not_wakeable"));
    }
    // A sleeping endpoint reports AWAKING even with a zero delay: the wake was accepted, not finished.
    const after = deps.endpoints.wake(id);
    const status = before.status === "SLEEPING" ? "AWAKING" : after.status;
    return answer(c, "wake", 200, { id, status });
  });
}
