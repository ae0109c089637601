import {
  classifyStatus,
  failedMessage,
  FriendliError,
  getEndpointState,
  requestWake,
  type EndpointState,
  type FriendliConfig,
  type FriendliDeps,
} from "./friendli.js";

export interface WakeOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Called with the first state and whenever status or phase changes. */
  onStatus?(state: EndpointState, elapsedMs: number): void;
  /** Called right after the one wake request was accepted. */
  onWake?(elapsedMs: number): void;
  /** A poll failed but an earlier one worked: we keep polling, the user may want to know. */
  onRetry?(error: FriendliError, elapsedMs: number): void;
}

/**
 * Make sure a dedicated endpoint is running before the chat request is sent. A sleeping endpoint
 * is woken exactly once (a second wake could restart a deployment already coming up); one that is
 * already coming up is only polled. Resolves with the ready state; rejects with a
 * {@link FriendliError} whose message tells the user what to do.
 */
export async function ensureAwake(cfg: FriendliConfig, deps: FriendliDeps, opts: WakeOptions): Promise<EndpointState> {
  const started = deps.now();
  const deadline = started + opts.timeoutMs;
  const elapsed = (): number => deps.now() - started;
  let woken = false;
  // Only after one good answer are failures treated as blips: a wrong base URL must fail fast.
  let reachable = false;
  let lastKey: string | undefined;
  let last: EndpointState | undefined;

  for (;;) {
    let state: EndpointState | undefined;
    try {
      state = await getEndpointState(cfg, deps);
      reachable = true;
    } catch (err) {
      const transient = err instanceof FriendliError && (err.kind === "network" || err.kind === "http");
      if (!reachable || !transient) throw err;
      opts.onRetry?.(err, elapsed());
    }

    if (state) {
      last = state;
      const key = `${state.status}\u0000${state.phase ?? ""}`;
      if (key !== lastKey) opts.onStatus?.(state, elapsed());
      lastKey = key;

      const cls = classifyStatus(state.status);
      if (cls === "ready") return state;
      if (cls === "failed") throw new FriendliError("failed", failedMessage(state), state);
      if (cls === "sleeping" && !woken) {
        await requestWake(cfg, deps);
        woken = true;
        opts.onWake?.(elapsed());
      }
    }

    const remaining = deadline - deps.now();
    if (remaining <= 0) {
      const seen = last ? ` (last status: ${last.status}${last.phase ? `, phase ${last.phase}` : ""})` : "";
      throw new FriendliError(
        "timeout",
        `dedicated endpoint ${cfg.endpointId} was not ready after ${Math.round(opts.timeoutMs / 1000)} s${seen}. ` +
          "Nothing was sent. Try again with a longer --wake-timeout, or check the endpoint in Friendli Suite.",
        last,
      );
    }
    try {
      await deps.sleep(Math.min(opts.intervalMs, remaining), deps.signal);
    } catch {
      throw new FriendliError("aborted", "interrupted while waiting for the endpoint");
    }
  }
}
