/**
 * Composition root: the only place that reads the environment, the clock and global fetch.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { serve } from "@hono/node-server";
import { createGateway } from "./app.js";
import { ConfigError, loadConfig } from "./config/index.js";
import { createLogger } from "./observability/index.js";
import { loadKeysFile, type ApiKey } from "./http/index.js";
import { acquireDataDirLock, DataDirLockedError, openRequestLog, pidIsAlive } from "./storage/index.js";
import { warnUnreachableUpstreams } from "./upstream/index.js";
import { fileSettings, loadProvidersFile, ProvidersFileError, type RouterSettings } from "./providers/index.js";

function readEnv(): Record<string, string | undefined> {
  // .env fills in what the real environment leaves unset; the environment always wins.
  const file = existsSync(".env") ? parseEnv(readFileSync(".env", "utf8")) : {};
  return { ...file, ...process.env };
}

async function main(): Promise<void> {
  const env = readEnv();
  let config;
  let providers: RouterSettings | undefined;
  let keys: ApiKey[] = [];
  try {
    config = loadConfig(env);
    if (config.providersFile) providers = fileSettings(loadProvidersFile(config.providersFile, env), env);
    if (config.access.keysFile) keys = loadKeysFile(config.access.keysFile);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ProvidersFileError || (e instanceof Error && e.message.includes("keys file"))) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, { pretty: Boolean(process.stdout.isTTY) });
  const open = config.access.apiKeys.length === 0 && keys.length === 0 && !config.access.adminToken;
  if (open && !isLoopback(config.host)) {
    if (!config.access.allowOpenBind) {
      process.stderr.write(
        `refusing to listen on ${config.host}: no GATEWAY_API_KEYS, GATEWAY_KEYS_FILE or ADMIN_TOKEN is set, so anyone who can reach it could use it.\n` +
          "Set keys, bind to 127.0.0.1, or set ALLOW_OPEN_BIND=true if that is really what you want.\n",
      );
      process.exit(1);
    }
    logger.warn({ host: config.host }, "open gateway on a non-loopback address (ALLOW_OPEN_BIND=true): anyone who can reach it can use it");
  } else if (open) {
    logger.info("open: no GATEWAY_API_KEYS or ADMIN_TOKEN; listening on loopback only");
  }
  // Late-bound: the metrics live in the gateway, which needs the log first.
  let onDropped: (n: number) => void = () => undefined;
  if (config.requestLog.enabled && !config.requestLog.databaseUrl) {
    mkdirSync(config.requestLog.dataDir, { recursive: true });
    // The embedded database is single-process: a second gateway on the same DATA_DIR must stop here.
    try {
      const lock = acquireDataDirLock(config.requestLog.dataDir, { pid: process.pid, isAlive: pidIsAlive });
      process.on("exit", () => lock.release());
    } catch (e) {
      if (!(e instanceof DataDirLockedError)) throw e;
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
  }
  const requestLog = config.requestLog.enabled
    ? await openRequestLog({
        databaseUrl: config.requestLog.databaseUrl,
        dataDir: join(config.requestLog.dataDir, "requests"),
        logger,
        onDropped: (n) => onDropped(n),
      })
    : undefined;
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
  });
  onDropped = (n) => gateway.metrics.logDropped(n);
  gateway.start();
  const server = serve({ fetch: gateway.app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      {
        url: `http://${config.host}:${info.port}`,
        upstream: providers ? `${providers.providers.length} providers from ${config.providersFile}` : config.upstream.baseUrl + config.upstream.path,
        request_log: requestLog ? (config.requestLog.databaseUrl ? "postgresql" : `pglite in ${config.requestLog.dataDir}`) : "off",
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
  const stop = async (signal: string): Promise<void> => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal, grace_ms: config.shutdownGraceMs }, "shutting down: no new connections, letting streams finish");
    gateway.stop();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    const grace = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), config.shutdownGraceMs).unref());
    if ((await Promise.race([drained, grace])) === "timeout") {
      logger.warn("grace period over: closing the remaining streams");
      if ("closeAllConnections" in server) server.closeAllConnections();
      // Let the cancelled requests reach the request log before it is flushed.
      await new Promise((r) => setTimeout(r, 50));
    }
    await requestLog?.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

main().catch((e: unknown) => {
  process.stderr.write(`gateway failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
