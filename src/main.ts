/**
 * Composition root: the only place that reads the environment, the clock and global fetch.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { serve } from "@hono/node-server";
import { createGateway } from "./app.js";
import { ConfigError, loadConfig } from "./config/index.js";
import { createLogger } from "./observability/index.js";
import { fileSettings, loadProvidersFile, ProvidersFileError, type RouterSettings } from "./providers/index.js";

/** How long in-flight streams get to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function readEnv(): Record<string, string | undefined> {
  // .env fills in what the real environment leaves unset; the environment always wins.
  const file = existsSync(".env") ? parseEnv(readFileSync(".env", "utf8")) : {};
  return { ...file, ...process.env };
}

function main(): void {
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
  const gateway = createGateway({
    config,
    fetch: globalThis.fetch,
    now: () => performance.now(),
    wallClock: () => Date.now(),
    newId: () => randomUUID(),
    random: Math.random,
    logger,
    ...(providers && { providers }),
  });
  gateway.start();
  const server = serve({ fetch: gateway.app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      {
        url: `http://${config.host}:${info.port}`,
        upstream: providers ? `${providers.providers.length} providers from ${config.providersFile}` : config.upstream.baseUrl + config.upstream.path,
      },
      `gateway listening on http://${config.host}:${info.port}`,
    );
  });
  server.on("error", (err) => {
    logger.fatal({ err }, "cannot listen");
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "shutting down: no new connections, letting streams finish");
    gateway.stop();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main();
