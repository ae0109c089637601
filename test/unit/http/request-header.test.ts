import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type AddressInfo } from "node:net";
import type { Context } from "hono";
import { describe, expect, it } from "vitest";
import { requestHeader } from "../../../src/http/request-header.js";

/** A context as @hono/node-server gives it: the Node request in `env.incoming`. */
const onNode = (incoming: IncomingMessage): Context => ({ env: { incoming }, req: { header: () => "from hono" } }) as unknown as Context;

describe("requestHeader", () => {
  it("reads Node's raw headers as Headers.get would: any case, repeats joined with ', ', absent undefined", async () => {
    let seen: Record<string, string | undefined> = {};
    const server = createServer((incoming: IncomingMessage, res: ServerResponse) => {
      const c = onNode(incoming);
      seen = { task: requestHeader(c, "x-task-category"), repeated: requestHeader(c, "x-tag"), missing: requestHeader(c, "x-none") };
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    // Raw bytes: a header sent twice under two spellings, as no HTTP client library would.
    const socket = connect(port, "127.0.0.1");
    socket.end("GET / HTTP/1.1\r\nHost: x\r\nX-Task-Category: complex\r\nx-tag: a\r\nX-TAG: b\r\nConnection: close\r\n\r\n");
    socket.resume();
    await new Promise((r) => socket.on("close", r));
    await new Promise<void>((r) => server.close(() => r()));
    expect(seen).toEqual({ task: "complex", repeated: "a, b", missing: undefined });
  });

  it("falls back to the framework's own reader off Node", () => {
    const c = { env: undefined, req: { header: (n: string) => `hono:${n}` } } as unknown as Context;
    expect(requestHeader(c, "x-task-category")).toBe("hono:x-task-category");
  });
});
