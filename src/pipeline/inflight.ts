import type { ChildController } from "../util/index.js";

/**
 * The requests running right now, so shutdown can end each one with a reason its client is
 * told (an `error` event with `shutting_down`), instead of cutting sockets.
 */
export interface Inflight {
  /** Register a running request; call the returned function when it is over. */
  track(c: Pick<ChildController, "abort">): () => void;
  readonly size: number;
  /** Abort every running request with `reason`. */
  abortAll(reason: unknown): void;
  /** Resolves when none is running (at once when none is). */
  idle(): Promise<void>;
}

export function createInflight(): Inflight {
  const running = new Set<Pick<ChildController, "abort">>();
  let waiters: (() => void)[] = [];
  return {
    track(c) {
      running.add(c);
      return () => {
        running.delete(c);
        if (running.size === 0 && waiters.length > 0) {
          for (const w of waiters) w();
          waiters = [];
        }
      };
    },
    get size() {
      return running.size;
    },
    abortAll(reason) {
      for (const c of [...running]) c.abort(reason);
    },
    idle() {
      if (running.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}
