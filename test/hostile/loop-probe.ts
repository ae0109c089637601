// How much a piece of work cost the process that runs the gateway (these tests run it in-process):
// the longest the event loop was blocked, and how far the JS heap grew.
import { monitorEventLoopDelay } from "node:perf_hooks";

export interface LoopCost {
  /** The longest single event-loop delay seen, in ms (resolution 10 ms). */
  maxDelayMs: number;
  /** Heap used after the work minus before it, in MB, after a GC when one can be forced. */
  heapGrowthMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Start watching; `stop()` reports what the work in between cost. */
export function watchLoop(): { stop(): LoopCost } {
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    stop() {
      h.disable();
      const heap1 = process.memoryUsage().heapUsed;
      return { maxDelayMs: Math.round(h.max / 1e6), heapGrowthMb: Math.round((heap1 - heap0) / 1e6) };
    },
  };
}

/**
 * Bounds for a 2-core machine shared with other work. The delay is wall-clock time, so a process
 * the OS leaves waiting counts too: on a machine at load 15, a well-behaved gateway showed spikes
 * up to ~800 ms (a few ms when idle). The holes cost 1.5 s (a nested search answer, idle) to
 * minutes (uniqueItems), and hundreds of MB of heap.
 */
export const MAX_LOOP_DELAY_MS = 1_000;
export const MAX_HEAP_GROWTH_MB = 150;
