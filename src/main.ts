/**
 * Composition root: the only place that reads the environment, the clock and global fetch.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { lookup } from "node:dns/promises";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { availableParallelism, hostname } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { serve } from "@hono/node-server";
import { createGateway } from "./app.js";
import { checkLoopback, ConfigError, KeysFileError, loadConfig, loadKeysFile, parseGatewayArgs, type ApiKey } from "./config/index.js";
import { createLogger } from "./observability/index.js";
import { shutDown, within } from "./http/index.js";
import { startTracing } from "./telemetry/index.js";
import { acquireDataDirLock, DataDirLockedError, pidIsAlive, startRequestLog } from "./storage/index.js";
import { warnUnreachableUpstreams } from "./upstream/index.js";
import { fileSettings, loadProvidersFile, ProvidersFileError, type RouterSettings } from "./providers/index.js";
import { createFleet, isPrimary, isWorker, runPrimary, WORKER_INDEX_ENV, workerMetrics, workerNumbers } from "./fleet/index.js";

/** How long shutdown waits for the last spans to reach the collector. */
const TRACE_FLUSH_MS = 3_000;

function readEnv(): Record<string, string | undefined> {
  // .env fills in what the real environment leaves unset; the environment always wins.
  const file = existsSync(".env") ? parseEnv(readFileSync(".env", "utf8")) : {};
  return { ...file, ...process.env };
}

async function main(): Promise<void> {
  // First: --help and --version answer and exit before anything is read, created or bound.
  parseGatewayArgs(process.argv, packageVersion());
  const env = readEnv();
  let config;
  let providers: RouterSettings | undefined;
  let keys: ApiKey[] = [];
  try {
    config = loadConfig(env);
    if (config.providersFile) providers = fileSettings(loadProvidersFile(config.providersFile, env), env);
    if (config.access.keysFile) keys = loadKeysFile(config.access.keysFile);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ProvidersFileError || e instanceof KeysFileError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const workers = config.workers === "auto" ? availableParallelism() : config.workers;
  const workerIndex = isWorker() ? Number(env[WORKER_INDEX_ENV] ?? "0") : null;
  const rootLogger = createLogger(config.logLevel, { pretty: Boolean(process.stdout.isTTY) });
  const logger = workerIndex === null ? rootLogger : rootLogger.child({ worker: workerIndex });
  const open = config.access.apiKeys.length === 0 && keys.length === 0 && !config.access.adminToken;
  // Resolved, not judged by its spelling: every address HOST resolves to must be loopback.
  const bind = open ? await checkLoopback(config.host, (h) => lookup(h, { all: true })) : undefined;
  if (bind && !bind.loopback) {
    if (!config.access.allowOpenBind) {
      process.stderr.write(
        `refusing to listen on ${config.host}: ${bind.reason}, and no GATEWAY_API_KEYS, GATEWAY_KEYS_FILE or ADMIN_TOKEN is set, so anyone who can reach it could use it.\n` +
          "Set keys, bind to 127.0.0.1, or set ALLOW_OPEN_BIND=true if that is really what you want.\n",
      );
      process.exit(1);
    }
    logger.warn({ host: config.host }, "open gateway on a non-loopback address (ALLOW_OPEN_BIND=true): anyone who can reach it can use it");
  } else if (open && workerIndex === null) {
    logger.info("open: no GATEWAY_API_KEYS or ADMIN_TOKEN; listening on loopback only");
  }
  // The embedded database is single-process: the process that owns DATA_DIR (the primary under
  // WORKERS > 1, which gives each worker a directory of its own inside it) holds the lock.
  if (config.requestLog.enabled && !config.requestLog.databaseUrl && !isWorker()) {
    mkdirSync(config.requestLog.dataDir, { recursive: true });
    // A second gateway on the same DATA_DIR must stop here.
    try {
      const lock = acquireDataDirLock(config.requestLog.dataDir, { pid: process.pid, isAlive: pidIsAlive });
      process.on("exit", () => lock.release());
    } catch (e) {
      if (!(e instanceof DataDirLockedError)) throw e;
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
  }
  if (workers > 1 && isPrimary()) {
    runPrimary({ workers, logger, shared: config.redis.url !== undefined });
    return;
  }
  // Under WORKERS > 1 without a server database each worker needs a directory of its own:
  // the embedded database is single-process.
  const requestsDir = workerIndex === null || config.requestLog.databaseUrl ? "requests" : `requests-worker-${workerIndex}`;
  // Late-bound: the metrics live in the gateway, which needs the log first.
  let onDropped: (n: number) => void = () => undefined;
  // Opens in the background: the server listens at once (PGlite's first start takes seconds);
  // records queue meanwhile and the log's read routes answer 503 request_log_starting.
  const requestLog = config.requestLog.enabled
    ? startRequestLog({
        databaseUrl: config.requestLog.databaseUrl,
        dataDir: join(config.requestLog.dataDir, requestsDir),
        logger,
        onDropped: (n) => onDropped(n),
      })
    : undefined;
  // Late-bound like onDropped: the replica's card reports the monitor's in-flight count.
  let inFlight = (): number => 0;
  const id = `${hostname()}:${process.pid}:${randomBytes(2).toString("hex")}`;
  const fleet = createFleet({
    redis:
      config.redis.url === undefined
        ? undefined
        : { url: config.redis.url, prefix: config.redis.prefix, timeoutMs: config.redis.timeoutMs, outageMs: config.redis.outageMs },
    info: { id, version: packageVersion(), started_at: new Date().toISOString(), host: hostname(), pid: process.pid, worker: workerIndex },
    ttlMs: config.replicaTtlMs,
    logger,
    wallClock: () => Date.now(),
    now: () => performance.now(),
    inFlight: () => inFlight(),
  });
  // The OTel SDK reads its own OTEL_* variables from process.env: those from .env go there too, so
  // the exporter sends where the gateway was told to.
  for (const [k, v] of Object.entries(env)) if (k.startsWith("OTEL_") && v !== undefined && process.env[k] === undefined) process.env[k] = v;
  const telemetry = config.tracing.enabled
    ? await startTracing({
        protocol: config.tracing.protocol,
        sampler: config.tracing.sampler,
        captureContent: config.tracing.captureContent,
        serviceVersion: packageVersion(),
        instanceId: id,
        onError: (err) => logger.warn({ err }, "trace export failed"),
      })
    : undefined;
  let renderMetrics: (() => Promise<{ contentType: string; body: string }>) | undefined;
  const gateway = createGateway({
    config,
    fetch: globalThis.fetch,
    now: () => performance.now(),
    wallClock: () => Date.now(),
    newId: () => randomUUID(),
    random: Math.random,
    logger,
    ...(providers && { providers }),
    ...(requestLog && { requestLog }),
    keys,
    fleet,
    renderMetrics: () => (renderMetrics ?? gateway.metrics.render)(),
    ...(telemetry && { tracing: telemetry.requests }),
    // Workers without Redis gather their headline numbers in the primary.
    ...(workerIndex !== null && config.redis.url === undefined && { numbers: workerNumbers(id) }),
  });
  onDropped = (n) => gateway.metrics.logDropped(n);
  inFlight = () => gateway.monitor.health().in_flight;
  if (workerIndex !== null) renderMetrics = workerMetrics(gateway.metrics.registry);
  gateway.start();
  fleet.start();
  const server = serve({ fetch: gateway.app.fetch, port: config.port, hostname: config.host }, (info) => {
    const pages = browseBase(config.host, info.port);
    logger.info(
      {
        url: `http://${config.host}:${info.port}`,
        playground: `${pages}/`,
        admin: `${pages}/admin`,
        upstream: providers ? `${providers.providers.length} providers from ${config.providersFile}` : config.upstream.baseUrl + config.upstream.path,
        request_log: requestLog ? (config.requestLog.databaseUrl ? "postgresql" : `pglite in ${join(config.requestLog.dataDir, requestsDir)}`) : "off",
        instance: id,
        shared_state: config.redis.url ? `redis (prefix ${config.redis.prefix})` : "this process only",
        tracing: config.tracing.enabled ? `otlp ${config.tracing.protocol}` : "off",
      },
      `gateway listening on http://${config.host}:${info.port}`,
    );
    // A warning, never a failure: the upstream may simply still be starting.
    const upstreams = providers
      ? providers.providers.map((p) => ({ provider: p.id, target: p.target }))
      : [{ provider: "upstream", target: { baseUrl: config.upstream.baseUrl, path: config.upstream.path, apiKey: config.upstream.apiKey } }];
    void warnUnreachableUpstreams(upstreams, { fetch: globalThis.fetch, now: () => performance.now(), logger });
  });
  server.on("error", (err) => {
    logger.fatal({ err }, "cannot listen");
    process.exit(1);
  });

  let stopping = false;
  /** SIGTERM: src/http/shutdown.ts says what happens; then the request log is flushed (bounded). */
  const stop = async (): Promise<void> => {
    if (stopping) process.exit(1);
    stopping = true;
    await shutDown(server as Server, gateway, config.shutdownGraceMs, logger);
    await gateway.close();
    await requestLog?.close();
    // The last spans (the requests just ended) go out, but a collector that is down cannot hold up the exit.
    if (telemetry && (await within(telemetry.shutdown(), TRACE_FLUSH_MS)) === "timeout")
      logger.warn({ timeout_ms: TRACE_FLUSH_MS }, "trace export did not finish");
    await fleet.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  // A worker stops when the primary says so (SIGTERM); Ctrl-C reaches the whole process group.
  process.on("SIGINT", () => (workerIndex === null ? void stop() : undefined));
}

/** Where a browser on this machine reaches the pages: a wildcard bind through loopback, IPv6 in brackets. */
function browseBase(host: string, port: number): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

/** The version from package.json (src/ under tsx, dist/src/ once built). */
function packageVersion(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const v: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8"));
      if (typeof v === "object" && v !== null && "version" in v && typeof v.version === "string") return v.version;
    } catch {
      // not there: try the next place
    }
  }
  return "unknown";
}

main().catch((e: unknown) => {
  process.stderr.write(`gateway failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
