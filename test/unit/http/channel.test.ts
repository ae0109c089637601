import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { nodeChannel, type Channel } from "../../../src/http/channel.js";

/** A real server whose one response is driven by `drive`; the client's reads come back in order. */
async function serve(drive: (ch: Channel, res: ServerResponse) => void): Promise<{ reads: string[]; headersAt: number; body: string }> {
  const server = createServer((_req, res) => drive(nodeChannel(res), res));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/`);
  const reads: string[] = [];
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    reads.push(decoder.decode(value, { stream: true }));
  }
  return { reads, headersAt: res.status, body: reads.join("") };
}

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe("nodeChannel", () => {
  it("sends the frames of one turn as one chunk, in order, after the turn", async () => {
    const writes: string[] = [];
    const { reads, body } = await serve((ch, res) => {
      const write = res.write.bind(res) as (text: string) => boolean;
      res.write = ((text: string) => (writes.push(text), write(text))) as typeof res.write;
      ch.open(200, { "content-type": "text/plain" });
      ch.write("a\n");
      ch.write("b\n");
      ch.write("c\n");
      // Not written yet: held for the turn, and counted as backlog.
      expect(ch.backlog).toBeGreaterThanOrEqual(6);
      setImmediate(() =>
        setImmediate(() => {
          ch.write("d\n");
          ch.end();
        }),
      );
    });
    expect(body).toBe("a\nb\nc\nd\n");
    expect(reads[0]).toBe("a\nb\nc\n");
    // One write (one HTTP chunk) for the burst, not one per frame; "d" leaves with the end.
    expect(writes).toEqual(["a\nb\nc\n"]);
  });

  it("sends the held text with the headers, and the frames still pending with the end", async () => {
    const { body, headersAt } = await serve((ch) => {
      ch.open(200, { "content-type": "text/plain" }, "held\n");
      ch.write("x\n");
      ch.end();
    });
    expect(headersAt).toBe(200);
    expect(body).toBe("held\nx\n");
  });

  it("drained() writes what is pending first, so the socket's buffer is what it waits on", async () => {
    const { body } = await serve((ch, res) => {
      ch.open(200, { "content-type": "text/plain" });
      ch.write("one\n");
      void ch.drained().then(() => {
        ch.write("two\n");
        ch.end();
      });
      // The pending frame went to the response at once, not at the end of the turn.
      expect(ch.backlog).toBe(res.writableLength);
    });
    expect(body).toBe("one\ntwo\n");
  });

  it("drops what is pending when the connection is cut", async () => {
    const server = createServer((_req, res) => {
      const ch = nodeChannel(res);
      ch.open(200, { "content-type": "text/plain" }, "first\n");
      ch.write("never\n");
      ch.destroy();
      expect(ch.closed).toBe(true);
      expect(ch.backlog).toBe(res.writableLength);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const text = await fetch(`http://127.0.0.1:${port}/`)
      .then(
        (r) => r.text(),
        () => "",
      )
      .catch(() => "");
    expect(text).not.toContain("never");
  });
});
