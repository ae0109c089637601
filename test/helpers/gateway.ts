import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { createGateway, type AppDeps, type Gateway } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import { createLogger, silentLogger } from "../../src/observability/index.js";

export interface RunningGateway {
  url: string;
  port: number;
  /** The app itself, for tests that need its metrics or monitor. */
  gateway: Gateway;
  close(): Promise<void>;
}

/**
 * Start the real app on a real socket (port 0). `env` is the environment it would have read;
 * backoff and timeouts default small so failure tests stay fast.
 */
export async function startGateway(env: Record<string, string | undefined>, extra: Partial<AppDeps> = {}): Promise<RunningGateway> {
  const config = loadConfig({ UPSTREAM_RETRY_BACKOFF: "0.01", PORT: "0", ...env });
  const logger = process.env.TEST_LOG ? createLogger(process.env.TEST_LOG) : silentLogger();
  const gateway = createGateway({
    config,
    fetch: globalThis.fetch,
    now: () => performance.now(),
    wallClock: () => Date.now(),
    newId: () => randomUUID(),
    random: Math.random,
    logger,
    ...extra,
  });
  gateway.start();
  const app = gateway.app;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    gateway,
    close: async () => {
      await new Promise<void>((resolve) => {
        gateway.stop();
        if ("closeAllConnections" in server) server.closeAllConnections();
        server.close(() => resolve());
      });
      await gateway.close();
    },
  };
}
