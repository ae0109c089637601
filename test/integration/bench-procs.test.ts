import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { listensOn, onFreePort, PortTakenError, spawnFloor, type Proc } from "../../bench/procs.js";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";

/**
 * The bench (and the side-by-side smoke in the suite) gives its servers fixed ports it picked a
 * moment before. Seen in a suite run: another test's server took Portkey's port first, Portkey's
 * own start failed, and the bench took the squatter's answers for Portkey's ("no mock trace" for
 * every request). A spawn is ready only when the child itself listens on its port.
 */
const open: { servers: Server[]; procs: Proc[]; mock?: RunningMock } = { servers: [], procs: [] };

afterEach(async () => {
  for (const p of open.procs.splice(0)) await p.stop();
  for (const s of open.servers.splice(0)) await new Promise((r) => s.close(r));
  await open.mock?.close();
  open.mock = undefined;
});

/** A server in this process that answers 200 to everything, on a port the OS picks. */
async function squatter(): Promise<number> {
  const s = createServer((_req, res) => res.end("ok"));
  open.servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return (s.address() as { port: number }).port;
}

describe("bench processes on fixed ports", () => {
  it("listensOn tells the process holding a listening port from the others", async () => {
    const port = await squatter();
    expect(listensOn(process.pid, port)).toBe(true);
    expect(listensOn(process.ppid, port)).toBe(false);
    await new Promise((r) => open.servers.pop()!.close(r));
    expect(listensOn(process.pid, port)).toBe(false);
  });

  it("a relay whose port another process answers on is not taken for ready", async () => {
    open.mock = await startMockUpstream();
    const taken = await squatter();
    await expect(spawnFloor(taken, open.mock.baseUrl)).rejects.toBeInstanceOf(PortTakenError);
  });

  it("onFreePort tries another port when the first is taken", async () => {
    open.mock = await startMockUpstream();
    const taken = await squatter();
    const given: number[] = [];
    const floor = await onFreePort((port) => {
      given.push(port);
      return spawnFloor(given.length === 1 ? taken : port, open.mock!.baseUrl);
    });
    open.procs.push(floor);
    expect(given).toHaveLength(2);
    expect(floor.url).toBe(`http://127.0.0.1:${given[1]}`);
    expect(listensOn(floor.pid, given[1]!)).toBe(true);
    const res = await fetch(`${floor.url}/healthz`);
    expect(res.status).toBe(200);
  });
});
