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

/**
 * An endpoint's state as the status call reports it (Friendli's `DedicatedEndpointStatus`:
 * `status`, `phase`, `errorCode`, `createdAt`, `updatedAt` — it carries no id), normalised.
 */
export interface EndpointState {
  /** Upper-cased; `UNKNOWN` when the answer had no status string. */
  status: string;
  /** `REQUESTING_VIRTUAL_MACHINE`, `DOWNLOADING_MODEL`, `ENGINE_INITIALIZING`, or null. */
  phase: string | null;
  /** Why a deployment failed (`WORKLOAD_INIT_DOWNLOAD_ERROR`, …), or null. */
  errorCode: string | null;
  /** When the status last changed, as the API wrote it, or null. */
  updatedAt: string | null;
}

export type StatusClass = "ready" | "sleeping" | "transitional" | "failed" | "unknown";

export type FriendliErrorKind = "auth" | "not_found" | "http" | "network" | "failed" | "timeout" | "aborted" | "declined";

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
/** The statuses Friendli's documented `PUT …/restart` accepts. */
const RESTARTABLE = new Set(["FAILED", "TERMINATED"]);

/** Which way the wake loop should go for a status. Unknown statuses are polled, not fatal. */
export function classifyStatus(status: string): StatusClass {
  if (READY.has(status)) return "ready";
  if (status === "SLEEPING") return "sleeping";
  if (TRANSITIONAL.has(status)) return "transitional";
  if (FAILED.has(status)) return "failed";
  return "unknown";
}

/** Whether `PUT …/restart` can bring this endpoint back (FAILED or TERMINATED). */
export function isRestartable(status: string): boolean {
  return RESTARTABLE.has(status);
}

/** What a published `InferenceDeploymentErrorCode` means, in words a user can act on. */
const ERROR_HINTS: Record<string, string> = {
  WORKLOAD_INIT_DOWNLOAD_ERROR: "the model could not be downloaded",
  WORKLOAD_INIT_INVALID_TOKEN_ERROR: "the model repository token is invalid",
  WORKLOAD_INIT_CANNOT_ACCESS_REPO_ERROR: "the model repository cannot be accessed",
  WORKLOAD_INIT_HF_WANDB_API_ERROR: "Hugging Face or W&B answered with an error",
  WORKLOAD_INIT_INSUFFICIENT_DISK_ERROR: "the model does not fit on the disk",
  WORKLOAD_INIT_MANIFEST_NOT_FOUND_ERROR: "the model has no manifest",
  WORKLOAD_INIT_MANIFEST_TYPE_ERROR: "the model's manifest has the wrong type",
  WORKLOAD_INIT_SETTINGS_ERROR: "the endpoint settings are invalid",
  INFERENCE_ENGINE_MEMORY_ERROR: "the engine ran out of GPU memory",
  INFERENCE_ENGINE_INVALID_ARGUMENT_ERROR: "the engine rejected its configuration",
};

/** `WORKLOAD_INIT_DOWNLOAD_ERROR: the model could not be downloaded` (or just the code). */
export function describeErrorCode(code: string): string {
  const hint = ERROR_HINTS[code];
  return hint ? `${code}: ${hint}` : code;
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
export function parseEndpointState(body: unknown): EndpointState {
  const b = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const status = typeof b.status === "string" && b.status !== "" ? b.status.toUpperCase() : "UNKNOWN";
  const errorCode = typeof b.errorCode === "string" && b.errorCode !== "" ? b.errorCode : null;
  const updatedAt = typeof b.updatedAt === "string" && b.updatedAt !== "" ? b.updatedAt : null;
  return { status, phase: describePhase(b.phase), errorCode, updatedAt };
}

/** The API's own words from an error body: FastAPI's `detail`, or an OpenAI-style `error.message`. */
function detailOf(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === "object" && body !== null) {
      const b = body as { detail?: unknown; error?: { message?: unknown } };
      if (typeof b.detail === "string") return b.detail;
      if (typeof b.error?.message === "string") return b.error.message;
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.replace(/\s+/g, " ").trim().slice(0, 200);
}

function headersFor(cfg: FriendliConfig): Record<string, string> {
  const h: Record<string, string> = { accept: "application/json" };
  if (cfg.token) h.authorization = `Bearer ${cfg.token}`;
  if (cfg.team) h["x-friendli-team"] = cfg.team;
  return h;
}

/** The documented calls under `/dedicated/beta/endpoint/{endpoint_id}`. */
type Action = "status" | "wake" | "restart";

async function call(cfg: FriendliConfig, deps: FriendliDeps, method: "GET" | "PUT", action: Action): Promise<unknown> {
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
      `dedicated endpoint ${cfg.endpointId} was not found (HTTP 404). Check FRIENDLI_ENDPOINT_ID / --model` + " and FRIENDLI_TEAM.",
    );
  }
  if (!res.ok) {
    throw new FriendliError("http", `the Friendli management API answered HTTP ${res.status} to ${action}: ${detailOf(text)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

/** `GET …/status` once. */
export async function getEndpointState(cfg: FriendliConfig, deps: FriendliDeps): Promise<EndpointState> {
  return parseEndpointState(await call(cfg, deps, "GET", "status"));
}

/** `PUT …/wake` once. */
export async function requestWake(cfg: FriendliConfig, deps: FriendliDeps): Promise<void> {
  await call(cfg, deps, "PUT", "wake");
}

/** `PUT …/restart` once: Friendli's documented way back for a FAILED or TERMINATED endpoint. */
export async function requestRestart(cfg: FriendliConfig, deps: FriendliDeps): Promise<EndpointState> {
  return parseEndpointState(await call(cfg, deps, "PUT", "restart"));
}

/** `FAILED (WORKLOAD_INIT_DOWNLOAD_ERROR: the model could not be downloaded)`, or just the status. */
export function statusText(state: EndpointState): string {
  return state.errorCode ? `${state.status} (${describeErrorCode(state.errorCode)})` : state.status;
}

/** The message for a status that will not come back by itself. */
export function failedMessage(endpointId: string, state: EndpointState): string {
  const next = isRestartable(state.status)
    ? "Run again with --restart to restart it (Friendli's PUT …/restart), or redeploy it in Friendli Suite."
    : "Wait until it has stopped, then restart or redeploy it in Friendli Suite.";
  return `dedicated endpoint ${endpointId} is ${statusText(state)}${state.phase ? `, phase ${state.phase}` : ""} and will not wake up by itself. ${next}`;
}
