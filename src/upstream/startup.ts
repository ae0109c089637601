import type { Logger } from "../observability/index.js";
import { createUpstreamClient, type UpstreamTarget } from "./client.js";

/** How long the start-up probe waits for each upstream. */
const STARTUP_PROBE_MS = 5_000;

/** One provider's start-up check. */
export interface StartupProbe {
  provider: string;
  ok: boolean;
  reason: string | undefined;
}

/**
 * Probe each upstream once (`GET {base}/models`, as `/upstream-health` does) and warn about every
 * one that cannot be reached. It never throws and never holds up start-up: the gateway serves
 * anyway, a warming-up upstream may come up a minute later, and each request retries on its own.
 */
export async function warnUnreachableUpstreams(
  upstreams: { provider: string; target: UpstreamTarget }[],
  deps: { fetch: typeof fetch; now: () => number; logger: Pick<Logger, "warn"> },
  timeoutMs = STARTUP_PROBE_MS,
): Promise<StartupProbe[]> {
  const client = createUpstreamClient({ fetch: deps.fetch, now: deps.now, requestTimeoutMs: timeoutMs, retry: { maxRetries: 0, backoffMs: 0 } });
  return Promise.all(
    upstreams.map(async ({ provider, target }): Promise<StartupProbe> => {
      try {
        const r = await client.probe(target, timeoutMs);
        const reason = r.ok ? undefined : (r.error ?? `answered HTTP ${r.status}`);
        if (!r.ok) {
          deps.logger.warn(
            { provider, upstream: target.baseUrl, reason },
            `${provider === "upstream" ? "the upstream" : `provider ${provider}`} is not reachable at start-up (${reason}); serving anyway — requests to it fail until it answers. Check UPSTREAM_BASE_URL (or the providers file) and GET /upstream-health`,
          );
        }
        return { provider, ok: r.ok, reason };
      } catch (e) {
        return { provider, ok: false, reason: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
}
