/**
 * A scripted Friendli management API (Hono, served through an injected fetch — no socket needed):
 * the status sequence is a function of how many polls and wakes it has seen.
 */
import { Hono } from "hono";

export interface ManagementCall {
  method: string;
  path: string;
  headers: Record<string, string>;
}

export interface FakeManagement {
  base: string;
  calls: ManagementCall[];
  wakes: () => number;
  restarts: () => number;
  statusPolls: () => number;
  fetch: typeof fetch;
}

export type StatusAnswer = { status?: unknown; phase?: unknown; errorCode?: unknown } | { httpStatus: number; body?: unknown };

const STAMP = "2025-01-01T00:00:00Z";

/** A published `DedicatedEndpointStatus` body: no id, timestamps, `errorCode` and `phase` nullable. */
function statusBody(a: { status?: unknown; phase?: unknown; errorCode?: unknown }): Record<string, unknown> {
  return { errorCode: null, phase: null, createdAt: STAMP, updatedAt: STAMP, ...a };
}

/** `script(pollIndex, wakes, restarts)` decides each status answer. */
export function fakeManagement(script: (poll: number, wakes: number, restarts: number) => StatusAnswer, base = "https://mgmt.test"): FakeManagement {
  const calls: ManagementCall[] = [];
  let wakes = 0;
  let restarts = 0;
  let polls = 0;
  const app = new Hono();
  app.use(async (c, next) => {
    calls.push({ method: c.req.method, path: c.req.path, headers: Object.fromEntries(c.req.raw.headers) });
    await next();
  });
  app.get("/dedicated/beta/endpoint/:id/status", (c) => {
    const a = script(polls++, wakes, restarts);
    if ("httpStatus" in a) return c.json(a.body ?? { detail: "nope" }, a.httpStatus as 500);
    return c.json(statusBody(a));
  });
  app.put("/dedicated/beta/endpoint/:id/wake", (c) => {
    wakes++;
    return c.json(statusBody({ status: "AWAKING", phase: "REQUESTING_VIRTUAL_MACHINE" }));
  });
  app.put("/dedicated/beta/endpoint/:id/restart", (c) => {
    restarts++;
    return c.json(statusBody({ status: "INITIALIZING", phase: "REQUESTING_VIRTUAL_MACHINE" }));
  });
  return {
    base,
    calls,
    wakes: () => wakes,
    restarts: () => restarts,
    statusPolls: () => polls,
    fetch: async (input, init) => app.fetch(new Request(input, init)),
  };
}

/** The published phases of coming up, in order. */
export const PHASES = ["REQUESTING_VIRTUAL_MACHINE", "DOWNLOADING_MODEL", "ENGINE_INITIALIZING"];

/** SLEEPING until woken, then AWAKING through the published phases for `awakePolls` polls, then RUNNING. */
export function sleepyEndpoint(awakePolls = 3): (poll: number, wakes: number) => StatusAnswer {
  let sinceWake = 0;
  return (_poll, wakes) => {
    if (wakes === 0) return { status: "SLEEPING", phase: null };
    if (sinceWake < awakePolls) return { status: "AWAKING", phase: PHASES[Math.min(sinceWake++, 2)] };
    return { status: "RUNNING", phase: null };
  };
}

/** FAILED with `errorCode` until restarted, then INITIALIZING for `initPolls` polls, then RUNNING. */
export function failedEndpoint(errorCode = "WORKLOAD_INIT_DOWNLOAD_ERROR", initPolls = 2): (poll: number, wakes: number, restarts: number) => StatusAnswer {
  let since = 0;
  return (_poll, _wakes, restarts) => {
    if (restarts === 0) return { status: "FAILED", errorCode };
    if (since < initPolls) return { status: "INITIALIZING", phase: PHASES[Math.min(since++, 2)] };
    return { status: "RUNNING" };
  };
}
