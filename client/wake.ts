import {
  classifyStatus,
  failedMessage,
  FriendliError,
  getEndpointState,
  isRestartable,
  requestRestart,
  requestWake,
  type EndpointState,
  type FriendliConfig,
  type FriendliDeps,
} from "./friendli.js";

export interface WakeOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Called with the first state and whenever status, phase or error code changes. */
  onStatus?(state: EndpointState, elapsedMs: number): void;
  /** Called right after the one wake request was accepted. */
  onWake?(elapsedMs: number): void;
  /** A poll failed but an earlier one worked: we keep polling, the user may want to know. */
  onRetry?(error: FriendliError, elapsedMs: number): void;
  /**
   * The endpoint is FAILED or TERMINATED: may it be restarted? Absent = never (the caller did not
   * ask for `--restart`). Resolving false stops with a `declined` error.
   */
  confirmRestart?(state: EndpointState): Promise<boolean>;
  /** Called right after the one restart request was accepted. */
  onRestart?(elapsedMs: number): void;
}

/**
 * Make sure a dedicated endpoint is running before the chat request is sent. A sleeping endpoint
 * is woken exactly once (a second wake could restart a deployment already coming up); one that is
 * already coming up is only polled; a FAILED or TERMINATED one is restarted once, only when
 * `confirmRestart` agrees. Resolves with the ready state; rejects with a {@link FriendliError}
 * whose message tells the user what to do.
 */
export async function ensureAwake(cfg: FriendliConfig, deps: FriendliDeps, opts: WakeOptions): Promise<EndpointState> {
  const started = deps.now();
  const deadline = started + opts.timeoutMs;
  const elapsed = (): number => deps.now() - started;
  let woken = false;
  let restarted = false;
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
      const key = `${state.status}\u0000${state.phase ?? ""}\u0000${state.errorCode ?? ""}`;
      if (key !== lastKey) opts.onStatus?.(state, elapsed());
      lastKey = key;

      const cls = classifyStatus(state.status);
      if (cls === "ready") return state;
      if (cls === "failed") {
        // A restart that fails again is reported, not retried: the cause needs a human.
        if (restarted || !isRestartable(state.status) || opts.confirmRestart === undefined) {
          throw new FriendliError("failed", failedMessage(cfg.endpointId, state), state);
        }
        if (!(await opts.confirmRestart(state))) {
          throw new FriendliError("declined", `not restarting dedicated endpoint ${cfg.endpointId}; nothing was sent.`, state);
        }
        await requestRestart(cfg, deps);
        restarted = true;
        opts.onRestart?.(elapsed());
      }
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
