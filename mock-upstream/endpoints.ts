/**
 * The state of emulated Friendli dedicated endpoints, following Friendli's published OpenAPI
 * (friendliai/friendli-openapi `openapi.yaml`, info.version 0.1.0: `DedicatedEndpointStatus`,
 * `InferenceDeploymentStatus`, `InferenceDeploymentErrorCode`). States are computed from
 * timestamps at every look, so no timer runs between calls and a closed mock leaves nothing behind.
 */

/** `InferenceDeploymentStatus` as published. The mock moves through a subset of them. */
export type EndpointStatus =
  "UNKNOWN" | "INITIALIZING" | "RUNNING" | "UPDATING" | "SLEEPING" | "AWAKING" | "FAILED" | "STOPPING" | "TERMINATING" | "TERMINATED" | "READY";

/** `DedicatedEndpointStatus.phase` as published: the three steps of coming up (or null). */
export type EndpointPhase = "REQUESTING_VIRTUAL_MACHINE" | "DOWNLOADING_MODEL" | "ENGINE_INITIALIZING";

export const PHASES: readonly EndpointPhase[] = ["REQUESTING_VIRTUAL_MACHINE", "DOWNLOADING_MODEL", "ENGINE_INITIALIZING"];

/** `InferenceDeploymentErrorCode` as published. */
export const ERROR_CODES = [
  "WORKLOAD_INIT_UNKNOWN_ERROR",
  "WORKLOAD_INIT_SETTINGS_ERROR",
  "WORKLOAD_INIT_GRPC_ERROR",
  "WORKLOAD_INIT_MANIFEST_NOT_FOUND_ERROR",
  "WORKLOAD_INIT_MANIFEST_TYPE_ERROR",
  "WORKLOAD_INIT_DOWNLOAD_ERROR",
  "WORKLOAD_INIT_INVALID_TOKEN_ERROR",
  "WORKLOAD_INIT_CANNOT_ACCESS_REPO_ERROR",
  "WORKLOAD_INIT_HF_WANDB_API_ERROR",
  "WORKLOAD_INIT_INSUFFICIENT_DISK_ERROR",
  "INFERENCE_ENGINE_UNKNOWN_ERROR",
  "INFERENCE_ENGINE_INVALID_ARGUMENT_ERROR",
  "INFERENCE_ENGINE_MEMORY_ERROR",
  "INFERENCE_ENGINE_METERING_CLIENT_CONFIG_ERROR",
] as const;
export type EndpointErrorCode = (typeof ERROR_CODES)[number];

/** The states an endpoint can be declared in (the others are only passed through). */
export type SeedStatus = "SLEEPING" | "RUNNING" | "FAILED" | "TERMINATED";

/** How an endpoint starts out; tests and `MOCK_ENDPOINTS` declare them by id. */
export interface EndpointSeed {
  status: SeedStatus;
  /** Only for FAILED; default `WORKLOAD_INIT_UNKNOWN_ERROR`. */
  errorCode?: EndpointErrorCode;
  /** Waking or restarting never finishes: it stays in the last phase (a hang to time out on). */
  stuck?: boolean;
}

/** The endpoints the mock knows when nothing else is configured: one of each kind, for the demo. */
export const DEFAULT_ENDPOINTS: Readonly<Record<string, EndpointSeed>> = {
  "ep-demo": { status: "SLEEPING" },
  "ep-running": { status: "RUNNING" },
  "ep-failed": { status: "FAILED", errorCode: "WORKLOAD_INIT_DOWNLOAD_ERROR" },
  "ep-terminated": { status: "TERMINATED" },
  "ep-stuck": { status: "SLEEPING", stuck: true },
};

/** The published `DedicatedEndpointStatus` body. There is no `id` in it. */
export interface EndpointStatusBody {
  status: EndpointStatus;
  errorCode: EndpointErrorCode | null;
  createdAt: string;
  updatedAt: string | null;
  phase: EndpointPhase | null;
}

/** Why an action was refused; the routes turn it into a documented status (400 or 404). */
export type Refusal = { kind: "not_found" } | { kind: "bad_state"; message: string };

export type ActionResult = { ok: true; body: EndpointStatusBody } | { ok: false; refusal: Refusal };

export interface EndpointRegistry {
  /** Whether `id` names an endpoint (chat requests to it are dedicated-endpoint traffic). */
  has(id: string): boolean;
  status(id: string): ActionResult;
  wake(id: string): ActionResult;
  sleep(id: string): ActionResult;
  restart(id: string): ActionResult;
  /** Forget every transition; endpoints go back to their seeds. */
  reset(): void;
}

interface Transition {
  /** Waking a sleeping endpoint reports AWAKING; restarting a failed one reports INITIALIZING. */
  kind: "wake" | "restart";
  startedAt: number;
}

interface Endpoint {
  seed: EndpointSeed;
  status: EndpointStatus;
  errorCode: EndpointErrorCode | null;
  createdAt: number;
  updatedAt: number;
  transition?: Transition;
}

/**
 * Create a registry. `seeds` and `wakeDelayMs` are read at every look, so `configure` applies at
 * once; `wallClock` stamps `createdAt`/`updatedAt`, `now` measures transitions.
 */
export function createEndpointRegistry(
  seeds: () => Readonly<Record<string, EndpointSeed>>,
  wakeDelayMs: () => number,
  clocks: { now: () => number; wallClock: () => number } = { now: () => performance.now(), wallClock: () => Date.now() },
): EndpointRegistry {
  const endpoints = new Map<string, Endpoint>();
  // Wall-clock time at which `now()` read 0, so transition times can be stamped as dates.
  const bornAt = clocks.wallClock();

  function lookup(id: string): Endpoint | undefined {
    const seed = seeds()[id];
    if (seed === undefined) return undefined;
    let endpoint = endpoints.get(id);
    // A reconfigured seed replaces the endpoint: the test asked for a new starting state.
    if (endpoint === undefined || endpoint.seed !== seed) {
      endpoint = {
        seed,
        status: seed.status,
        errorCode: seed.status === "FAILED" ? (seed.errorCode ?? "WORKLOAD_INIT_UNKNOWN_ERROR") : null,
        createdAt: bornAt - 86_400_000,
        updatedAt: bornAt,
      };
      endpoints.set(id, endpoint);
    }
    return endpoint;
  }

  /** Settle a finished transition into RUNNING and say which phase an unfinished one is in. */
  function settle(endpoint: Endpoint): EndpointPhase | null {
    const t = endpoint.transition;
    if (t === undefined) return null;
    const delay = wakeDelayMs();
    const elapsed = clocks.now() - t.startedAt;
    if (!endpoint.seed.stuck && elapsed >= delay) {
      endpoint.transition = undefined;
      endpoint.status = "RUNNING";
      endpoint.updatedAt = clocks.wallClock() - (elapsed - delay);
      return null;
    }
    // Phases are spread evenly over the delay; a stuck endpoint stays in the last one.
    const index = delay <= 0 ? PHASES.length - 1 : Math.min(PHASES.length - 1, Math.floor((elapsed / delay) * PHASES.length));
    return PHASES[index] ?? "ENGINE_INITIALIZING";
  }

  function body(endpoint: Endpoint, phase: EndpointPhase | null): EndpointStatusBody {
    return {
      status: endpoint.status,
      errorCode: endpoint.errorCode,
      createdAt: new Date(endpoint.createdAt).toISOString(),
      updatedAt: new Date(endpoint.updatedAt).toISOString(),
      phase,
    };
  }

  function act(id: string, change: (e: Endpoint) => Refusal | undefined): ActionResult {
    const endpoint = lookup(id);
    if (endpoint === undefined) return { ok: false, refusal: { kind: "not_found" } };
    settle(endpoint);
    const refusal = change(endpoint);
    if (refusal !== undefined) return { ok: false, refusal };
    return { ok: true, body: body(endpoint, settle(endpoint)) };
  }

  function begin(endpoint: Endpoint, kind: Transition["kind"], status: EndpointStatus): void {
    endpoint.transition = { kind, startedAt: clocks.now() };
    endpoint.status = status;
    endpoint.errorCode = null;
    endpoint.updatedAt = clocks.wallClock();
  }

  const dead = (e: Endpoint): boolean => e.status === "FAILED" || e.status === "TERMINATED";

  return {
    has: (id) => seeds()[id] !== undefined,
    status: (id) => act(id, () => undefined),
    wake: (id) =>
      act(id, (e) => {
        if (dead(e)) return { kind: "bad_state", message: `Endpoint ${id} is ${e.status}; it cannot be woken. Restart it instead.` };
        // Waking an endpoint that is up or already coming up changes nothing: the call is idempotent.
        if (e.status === "SLEEPING") begin(e, "wake", "AWAKING");
        return undefined;
      }),
    sleep: (id) =>
      act(id, (e) => {
        if (dead(e)) return { kind: "bad_state", message: `Endpoint ${id} is ${e.status}; only a running endpoint can sleep.` };
        if (e.status !== "SLEEPING") {
          e.transition = undefined;
          e.status = "SLEEPING";
          e.updatedAt = clocks.wallClock();
        }
        return undefined;
      }),
    restart: (id) =>
      act(id, (e) => {
        if (!dead(e)) return { kind: "bad_state", message: `Endpoint ${id} is ${e.status}; only a FAILED or TERMINATED endpoint can be restarted.` };
        begin(e, "restart", "INITIALIZING");
        return undefined;
      }),
    reset() {
      endpoints.clear();
    },
  };
}
