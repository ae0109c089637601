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
import { openRequestLog } from "./storage/index.js";
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
  try {
    config = loadConfig(env);
    if (config.providersFile) providers = fileSettings(loadProvidersFile(config.providersFile, env), env);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ProvidersFileError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, { pretty: Boolean(process.stdout.isTTY) });
  // Late-bound: the metrics live in the gateway, which needs the log first.
  let onDropped: (n: number) => void = () => undefined;
  if (config.requestLog.enabled && !config.requestLog.databaseUrl) mkdirSync(config.requestLog.dataDir, { recursive: true });
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

main().catch((e: unknown) => {
  process.stderr.write(`gateway failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
