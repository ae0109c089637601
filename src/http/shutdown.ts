import { Server as NetServer } from "node:net";
import type { Server } from "node:http";
import type { Logger } from "../observability/index.js";

/** What shutting down asks of the gateway. */
export interface Drainable {
  /** Every new request gets `503 shutting_down` with `Connection: close`. */
  drain(): void;
  /** Stop background work. */
  stop(): void;
  /** End every running request with an `error` event saying so. */
  endRequests(): void;
  readonly inflight: { readonly size: number };
}

/**
 * SIGTERM, per the contract: stop taking work at once, let running requests finish within the
 * grace, then end the rest with an `error` event. The listener closes (new connections are
 * refused), but kept-alive sockets are left open: a request that arrives on one gets `503` with
 * `Connection: close`, never a silent close — `http.Server.close()` would close idle ones at
 * once, racing a client's next request on them. They close after their answer, or when their
 * keep-alive lapses (the timeout every response announces); the process is done when all are.
 */
export async function shutDown(server: Server, gateway: Drainable, graceMs: number, logger: Logger): Promise<void> {
  logger.info({ grace_ms: graceMs, in_flight: gateway.inflight.size }, "shutting down: no new requests, letting running ones finish");
  gateway.drain();
  gateway.stop();
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  if ((await within(closed, graceMs)) === "timeout") {
    logger.warn({ in_flight: gateway.inflight.size }, "grace period over: ending the remaining requests");
    gateway.endRequests();
    // Their error events are written at once; give the sockets a moment to flush them.
    await within(closed, 2_000);
  }
  server.closeAllConnections();
}

/** Waits for `p`, but no longer than `ms`. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), ms);
    timer.unref();
    void p.then((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}
