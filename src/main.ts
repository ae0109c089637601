/**
 * Composition root: the only place that reads the environment, the clock and global fetch.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config/index.js";
import { createLogger } from "./observability/index.js";

/** How long in-flight streams get to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function readEnv(): Record<string, string | undefined> {
  // .env fills in what the real environment leaves unset; the environment always wins.
  const file = existsSync(".env") ? parseEnv(readFileSync(".env", "utf8")) : {};
  return { ...file, ...process.env };
}

function main(): void {
  let config;
  try {
    config = loadConfig(readEnv());
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, { pretty: Boolean(process.stdout.isTTY) });
  const app = createApp({
    config,
    fetch: globalThis.fetch,
    now: () => performance.now(),
    wallClock: () => Date.now(),
    newId: () => randomUUID(),
    logger,
  });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { url: `http://${config.host}:${info.port}`, upstream: config.upstream.baseUrl + config.upstream.path },
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
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main();
