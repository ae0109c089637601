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
  statusPolls: () => number;
  fetch: typeof fetch;
}

export type StatusAnswer = { status?: unknown; phase?: unknown } | { httpStatus: number; body?: unknown };

/** `script(pollIndex, wakes)` decides each status answer. */
export function fakeManagement(script: (poll: number, wakes: number) => StatusAnswer, base = "https://mgmt.test"): FakeManagement {
  const calls: ManagementCall[] = [];
  let wakes = 0;
  let polls = 0;
  const app = new Hono();
  app.use(async (c, next) => {
    calls.push({ method: c.req.method, path: c.req.path, headers: Object.fromEntries(c.req.raw.headers) });
    await next();
  });
  app.get("/dedicated/beta/endpoint/:id/status", (c) => {
    const a = script(polls++, wakes);
    if ("httpStatus" in a) return c.json(a.body ?? { error: "nope" }, a.httpStatus as 500);
    return c.json({ id: c.req.param("id"), ...a });
  });
  app.put("/dedicated/beta/endpoint/:id/wake", (c) => {
    wakes++;
    return c.json({ id: c.req.param("id"), status: "AWAKING" });
  });
  return {
    base,
    calls,
    wakes: () => wakes,
    statusPolls: () => polls,
    fetch: async (input, init) => app.fetch(new Request(input, init)),
  };
}

/** SLEEPING until woken, then AWAKING through the mock's phases for `awakePolls` polls, then RUNNING. */
export function sleepyEndpoint(awakePolls = 3): (poll: number, wakes: number) => StatusAnswer {
  let sinceWake = 0;
  const phases = ["PROVISIONING", "LOADING_MODEL", "WARMING_UP"];
  return (_poll, wakes) => {
    if (wakes === 0) return { status: "SLEEPING", phase: null };
    if (sinceWake < awakePolls) return { status: "AWAKING", phase: { step: phases[Math.min(sinceWake++, 2)] } };
    return { status: "RUNNING", phase: null };
  };
}
