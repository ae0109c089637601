// How much a piece of work cost the process that runs the gateway (these tests run it in-process):
// the longest the event loop was blocked by work of its own, and how far the JS heap grew.
//
// A plain event-loop delay histogram counts wall-clock time, so a process the OS merely leaves
// waiting for a core (other processes busy beside it) looks "blocked" too: at load 15 a
// well-behaved gateway showed 800 ms spikes. Here each gap between two 10 ms ticks counts only as
// long as the process spent CPU in it: a loop held by the gateway's own work burns CPU the whole
// time (however stretched by sharing a core), a descheduled one burns none.

export interface LoopCost {
  /** The longest gap between ticks, counted as the CPU the process spent in it, in ms (ticks every 10 ms). */
  maxDelayMs: number;
  /** Heap used after the work minus before it, in MB, after a GC when one can be forced. */
  heapGrowthMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const TICK_MS = 10;

/** Start watching; `stop()` reports what the work in between cost. */
export function watchLoop(): { stop(): LoopCost } {
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let lastAt = performance.now();
  let lastCpu = process.cpuUsage();
  let worst = 0;
  const tick = (): void => {
    const at = performance.now();
    const cpu = process.cpuUsage();
    const cpuMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    // CPU of other threads (GC helpers, workers) can exceed the gap: never count more than the gap.
    worst = Math.max(worst, Math.min(at - lastAt, cpuMs) - TICK_MS);
    lastAt = at;
    lastCpu = cpu;
  };
  const timer = setInterval(tick, TICK_MS);
  return {
    stop() {
      tick();
      clearInterval(timer);
      const heap1 = process.memoryUsage().heapUsed;
      return { maxDelayMs: Math.max(0, Math.round(worst)), heapGrowthMb: Math.round((heap1 - heap0) / 1e6) };
    },
  };
}

/**
 * Bounds for a 2-core machine shared with other work. Counted in CPU, a well-behaved gateway's
 * longest block is a GC pause or a JSON parse of a few ms to tens; the holes cost 1.5 s (a nested
 * search answer) to minutes (uniqueItems) of CPU, and hundreds of MB of heap.
 */
export const MAX_LOOP_DELAY_MS = 1_000;
export const MAX_HEAP_GROWTH_MB = 150;
