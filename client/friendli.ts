/**
 * Friendli dedicated endpoints sleep when idle; a chat request to a sleeping one fails. This is
 * the pure wake-up logic against the management API — fetch, sleep and clock are injected so
 * tests can drive minutes of waking in microseconds.
 */
import { describeNetworkError } from "../src/sdk/index.js";

/** Where and as whom to call the management API. */
export interface FriendliConfig {
  base: string;
  endpointId: string;
  token?: string;
  team?: string;
}

export interface FriendliDeps {
  fetch: typeof fetch;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  signal?: AbortSignal;
}

/** An endpoint's state as reported by the status call, normalised. */
export interface EndpointState {
  id: string;
  /** Upper-cased; `UNKNOWN` when the answer had no status string. */
  status: string;
  /** A readable phase, or null when the API reports none. */
  phase: string | null;
}

export type StatusClass = "ready" | "sleeping" | "transitional" | "failed" | "unknown";

export type FriendliErrorKind = "auth" | "not_found" | "http" | "network" | "failed" | "timeout" | "aborted";

/** Why the endpoint cannot be used; `message` is written for the user, with what to do next. */
export class FriendliError extends Error {
  constructor(
    readonly kind: FriendliErrorKind,
    message: string,
    readonly state?: EndpointState,
  ) {
    super(message);
    this.name = "FriendliError";
  }
}

const READY = new Set(["RUNNING", "READY"]);
const TRANSITIONAL = new Set(["AWAKING", "INITIALIZING", "UPDATING"]);
const FAILED = new Set(["FAILED", "TERMINATED", "TERMINATING", "STOPPING"]);

/** Which way the wake loop should go for a status. Unknown statuses are polled, not fatal. */
export function classifyStatus(status: string): StatusClass {
  if (READY.has(status)) return "ready";
  if (status === "SLEEPING") return "sleeping";
  if (TRANSITIONAL.has(status)) return "transitional";
  if (FAILED.has(status)) return "failed";
  return "unknown";
}

/** The phase is a string in some API versions and an object in others; show whatever it says. */
export function describePhase(phase: unknown): string | null {
  if (phase === null || phase === undefined) return null;
  if (typeof phase === "string") return phase === "" ? null : phase;
  if (typeof phase === "object") {
    const p = phase as Record<string, unknown>;
    for (const key of ["step", "name", "message"]) {
      const v = p[key];
      if (typeof v === "string" && v !== "") return v;
    }
  }
  return JSON.stringify(phase);
}

/** Normalise a status answer without trusting its shape. */
export function parseEndpointState(body: unknown, endpointId: string): EndpointState {
  const b = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const status = typeof b.status === "string" && b.status !== "" ? b.status.toUpperCase() : "UNKNOWN";
  const id = typeof b.id === "string" && b.id !== "" ? b.id : endpointId;
  return { id, status, phase: describePhase(b.phase) };
}

function headersFor(cfg: FriendliConfig): Record<string, string> {
  const h: Record<string, string> = { accept: "application/json" };
  if (cfg.token) h.authorization = `Bearer ${cfg.token}`;
  if (cfg.team) h["x-friendli-team"] = cfg.team;
  return h;
}

async function call(cfg: FriendliConfig, deps: FriendliDeps, method: "GET" | "PUT", action: string): Promise<unknown> {
  const base = cfg.base.replace(/\/+$/, "");
  const url = `${base}/dedicated/beta/endpoint/${encodeURIComponent(cfg.endpointId)}/${action}`;
  let res: Response;
  try {
    res = await deps.fetch(url, { method, headers: headersFor(cfg), signal: deps.signal });
  } catch (err) {
    if (deps.signal?.aborted) throw new FriendliError("aborted", "interrupted");
    throw new FriendliError("network", `cannot reach the Friendli management API at ${base}: ${describeNetworkError(err)}`);
  }
  const text = await res.text().catch(() => "");
  if (res.status === 401 || res.status === 403) {
    const why = cfg.token ? "refused the token" : "needs a token and none is set";
    throw new FriendliError(
      "auth",
      `the Friendli management API ${why} (HTTP ${res.status}). Set FRIENDLI_TOKEN to a Friendli personal ` +
        `access token that can manage endpoint ${cfg.endpointId}` +
        (cfg.team ? "." : ", and FRIENDLI_TEAM when the endpoint belongs to a team."),
    );
  }
  if (res.status === 404) {
    throw new FriendliError(
      "not_found",
      `dedicated endpoint ${cfg.endpointId} was not found (HTTP 404). Check FRIENDLI_ENDPOINT_ID / --model` +
        " and FRIENDLI_TEAM.",
    );
  }
  if (!res.ok) {
    const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
    throw new FriendliError("http", `the Friendli management API answered HTTP ${res.status} to ${action}: ${snippet}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

/** `GET …/status` once. */
export async function getEndpointState(cfg: FriendliConfig, deps: FriendliDeps): Promise<EndpointState> {
  return parseEndpointState(await call(cfg, deps, "GET", "status"), cfg.endpointId);
}

/** `PUT …/wake` once. */
export async function requestWake(cfg: FriendliConfig, deps: FriendliDeps): Promise<void> {
  await call(cfg, deps, "PUT", "wake");
}

/** The message for a status that will not come back by itself. */
export function failedMessage(state: EndpointState): string {
  return (
    `dedicated endpoint ${state.id} is ${state.status}` +
    (state.phase ? ` (phase: ${state.phase})` : "") +
    ` and will not wake up by itself. Restart it or redeploy it in Friendli Suite (https://friendli.ai/suite), then run again.`
  );
}
