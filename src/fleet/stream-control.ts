import { fleetKeys } from "./keys.js";
import type { RedisLink } from "./link.js";

/**
 * What resumable streams need besides their events: a way to cancel a request from any replica
 * (`POST /v1/requests/{id}/cancel` may land anywhere behind the load balancer), and a way for
 * the replica running a request to know that a reader somewhere is attached to it — then the
 * grace period after its own client left does not end it.
 */
export interface StreamControl {
  /** Run `fn` when anyone, on any replica, cancels `requestId`. Returns the unsubscribe. */
  onCancel(requestId: string, fn: () => void): () => void;
  /** Cancel `requestId` wherever it runs. */
  cancel(requestId: string): Promise<void>;
  /** A reader is attached to `requestId` until the returned function is called. */
  attach(requestId: string): () => void;
  /** Is a reader attached to `requestId`, here or on another replica? */
  attached(requestId: string): Promise<boolean>;
}

/** How long an attachment outlives its last refresh: a reader's replica that died lets go. */
const ATTACH_TTL_MS = 3_000;

export function createStreamControl(link: RedisLink | undefined, prefix: string): StreamControl {
  const handlers = new Map<string, Set<() => void>>();
  // Readers attached in this process, per request.
  const local = new Map<string, number>();
  const keys = fleetKeys(prefix);
  const runLocal = (requestId: string) => {
    for (const fn of [...(handlers.get(requestId) ?? [])]) fn();
  };
  link?.subscribe(keys.cancelChannel, (requestId) => runLocal(requestId));

  return {
    onCancel(requestId, fn) {
      const set = handlers.get(requestId) ?? new Set();
      set.add(fn);
      handlers.set(requestId, set);
      return () => {
        set.delete(fn);
        if (set.size === 0) handlers.delete(requestId);
      };
    },
    async cancel(requestId) {
      runLocal(requestId);
      // Redis down: only this replica hears it; the caller reached the wrong one at a bad time.
      await link?.attempt("stream cancel", (r) => r.publish(keys.cancelChannel, requestId));
    },
    attach(requestId) {
      local.set(requestId, (local.get(requestId) ?? 0) + 1);
      const refresh = () => void link?.attempt("stream attach", (r) => r.set(keys.attached(requestId), "1", "PX", ATTACH_TTL_MS));
      refresh();
      const timer = link ? setInterval(refresh, ATTACH_TTL_MS / 3) : undefined;
      timer?.unref();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        clearInterval(timer);
        const n = (local.get(requestId) ?? 1) - 1;
        if (n <= 0) local.delete(requestId);
        else local.set(requestId, n);
        // Other readers elsewhere refresh their own; this one simply stops refreshing.
      };
    },
    async attached(requestId) {
      if ((local.get(requestId) ?? 0) > 0) return true;
      if (!link) return false;
      const r = await link.attempt("stream attached", (c) => c.exists(keys.attached(requestId)));
      return r.ok && r.value === 1;
    },
  };
}
