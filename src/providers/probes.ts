import type { UpstreamClient } from "../upstream/index.js";
import type { Router } from "./router.js";

/**
 * Active health checks: `GET {base}/models` on every provider each interval. Unreachable or 5xx
 * takes a provider out (unhealthy); the next good answer brings it back. Returns a stop function.
 */
export function startHealthProbes(router: Router, client: UpstreamClient, intervalMs: number, timeoutMs = 5_000): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await Promise.all(router.providers().map(async (p) => router.probed(p.id, (await client.probe(p.target, timeoutMs)).ok)));
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
