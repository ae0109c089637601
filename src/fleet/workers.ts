import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type Registry as PromRegistry } from "prom-client";
import { DEFAULT_BUCKET_SECONDS, DEFAULT_SERIES_MINUTES, DEFAULT_WINDOW_SIZE, type Logger } from "../observability/index.js";
import { createPrimaryNumbers } from "./worker-numbers.js";

/** The environment variable a worker learns its index (1..N) from; set by the primary only. */
export const WORKER_INDEX_ENV = "GATEWAY_WORKER_INDEX";

const METRICS_REQUEST = "sgw:metrics-request";
const METRICS_REPLY = "sgw:metrics-reply";

type MetricsRequest = { type: typeof METRICS_REQUEST; id: number };
type MetricsReply = { type: typeof METRICS_REPLY; id: number; body: string } | { type: typeof METRICS_REPLY; id: number; error: string };

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** Whether REDIS_URL is set: decides what the start-up line says is per worker. */
  shared: boolean;
}

/**
 * The cluster primary: forks N workers on one port (the kernel hands connections out round
 * robin), restarts a worker that dies after it was listening, forwards SIGTERM/SIGINT to every
 * worker as SIGTERM (each drains its streams), and exits once they all have. It also answers
 * workers' `/metrics` with every worker's series, each under its own `instance` label.
 */
export function runPrimary(o: PrimaryOptions): void {
  const { logger } = o;
  logger.info(
    { workers: o.workers, redis: o.shared },
    o.shared
      ? `starting ${o.workers} workers on one port; routing state, key limits and the replica list are shared through Redis`
      : `starting ${o.workers} workers on one port WITHOUT REDIS_URL: each worker keeps its own provider cooldowns and circuits, round-robin position, latency estimates, run-time strategy, key limits (so a key gets its limits once per worker) and request log directory (the dashboard's headline numbers are gathered by this primary); set REDIS_URL to share them`,
  );
  const aggregator = new AggregatorRegistry();
  // Without Redis the workers' headline numbers meet here (with it, they meet in Redis).
  const numbers = o.shared
    ? undefined
    : createPrimaryNumbers({
        now: () => Date.now(),
        random: Math.random,
        windowSize: DEFAULT_WINDOW_SIZE,
        bucketSeconds: DEFAULT_BUCKET_SECONDS,
        keepMinutes: DEFAULT_SERIES_MINUTES,
      });
  const indexOf = new Map<Worker, number>();
  const listening = new Set<Worker>();
  let stopping = false;

  const fork = (index: number): void => {
    const w = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    indexOf.set(w, index);
    w.on("listening", () => listening.add(w));
    w.on("message", (m: unknown) => {
      numbers?.(w, m);
      if (!isMetricsRequest(m)) return;
      aggregator.clusterMetrics().then(
        (body) => w.send({ type: METRICS_REPLY, id: m.id, body } satisfies MetricsReply),
        (e: unknown) => w.send({ type: METRICS_REPLY, id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies MetricsReply),
      );
    });
  };
  for (let i = 1; i <= o.workers; i++) fork(i);

  cluster.on("exit", (w, code, signal) => {
    const index = indexOf.get(w) ?? 0;
    indexOf.delete(w);
    if (stopping) {
      if (indexOf.size === 0) {
        logger.info("all workers stopped");
        process.exit(0);
      }
      return;
    }
    if (!listening.has(w)) {
      // It never got to listen (bad port, bad config): restarting would only loop.
      logger.fatal({ worker: index, code, signal }, "a worker failed to start; stopping");
      stopping = true;
      for (const other of indexOf.keys()) other.process.kill("SIGTERM");
      process.exit(1);
    }
    listening.delete(w);
    logger.error({ worker: index, code, signal }, "worker died; starting a new one");
    setTimeout(() => fork(index), 500).unref();
  });

  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn("second signal: killing workers now");
      for (const w of indexOf.keys()) w.process.kill("SIGKILL");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "stopping workers");
    for (const w of indexOf.keys()) w.process.kill("SIGTERM");
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

function isMetricsRequest(m: unknown): m is MetricsRequest {
  return typeof m === "object" && m !== null && (m as { type?: unknown }).type === METRICS_REQUEST;
}

/**
 * How long a worker waits for the primary's gathered series before answering with its own: just
 * past prom-client's own bound on the primary's gather (5 s). The primary answers within it —
 * with every worker's series, or with its gather's error — so this fallback is for a primary that
 * cannot answer at all. A shorter wait (it was 1 s) gave a partial scrape, one worker's series,
 * whenever a saturated machine made a working gather slower than that.
 */
const PRIMARY_METRICS_WAIT_MS = 6_000;

/** The worker's line to the primary: the process itself in a cluster worker. */
export interface PrimaryChannel {
  on(event: "message", listener: (m: unknown) => void): unknown;
  send?: (m: unknown) => unknown;
}

/**
 * In a worker: let the primary collect this worker's registry, and return what `/metrics`
 * should answer — every worker's series from the primary, or this worker's own if the primary
 * does not answer within PRIMARY_METRICS_WAIT_MS.
 */
export function workerMetrics(registry: PromRegistry, primary: PrimaryChannel = process): () => Promise<{ contentType: string; body: string }> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's worker-side listener (its only public way to do so).
  new AggregatorRegistry();
  let seq = 0;
  const pending = new Map<number, (body: string | undefined) => void>();
  primary.on("message", (m: unknown) => {
    if (typeof m !== "object" || m === null || (m as { type?: unknown }).type !== METRICS_REPLY) return;
    const reply = m as MetricsReply;
    pending.get(reply.id)?.("body" in reply ? reply.body : undefined);
  });
  return async () => {
    const id = ++seq;
    const body = await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), PRIMARY_METRICS_WAIT_MS);
      pending.set(id, (b) => {
        clearTimeout(timer);
        resolve(b);
      });
      primary.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
    pending.delete(id);
    return { contentType: registry.contentType, body: body ?? (await registry.metrics()) };
  };
}

/** Is this process a worker the primary started? */
export const isWorker = (): boolean => cluster.isWorker;
export const isPrimary = (): boolean => cluster.isPrimary;
