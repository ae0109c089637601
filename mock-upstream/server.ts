import { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createMockUpstream, shutdownMock } from "./app.js";
import type { DeepPartial, MockOptions, RunningMock } from "./types.js";

/** The host to put in URLs: a wildcard bind is reached through loopback; IPv6 needs brackets. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Serve a new mock on a real socket (port 0 = any free port) and resolve once it listens.
 * `close()` aborts every call in flight, destroys open sockets (keep-alive ones included) and
 * waits for the server to close, so a test leaves no timer or handle behind.
 */
export async function startMockUpstream(options: DeepPartial<MockOptions> & { port?: number; host?: string } = {}): Promise<RunningMock> {
  const { port: wantedPort = 0, host = "127.0.0.1", ...mockOptions } = options;
  const mock = createMockUpstream(mockOptions);
  const server = createAdaptorServer({ fetch: mock.app.fetch });
  if (!(server instanceof Server)) throw new Error("mock upstream: expected an HTTP/1 server");

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(wantedPort, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    mock,
    port,
    baseUrl: `http://${urlHost(host)}:${port}/v1`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        shutdownMock(mock);
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
