import { afterEach, describe, expect, it } from "vitest";
import { HEADINGS } from "../../../client/render.js";
import { happyScript, startFakeGateway, type FakeGateway } from "./fake-gateway.js";
import { fakeManagement, sleepyEndpoint, type FakeManagement, type StatusAnswer } from "./fake-management.js";
import { fakeClock, jsonLines, run } from "./helpers.js";

let gw: FakeGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

interface Setup {
  m: FakeManagement;
  g: FakeGateway;
  run(argv: string[], env?: Record<string, string>): ReturnType<typeof run>;
}

/** Management API through an injected fetch, chat requests to a real fake gateway, a fake clock. */
async function setup(script: (poll: number, wakes: number) => StatusAnswer): Promise<Setup> {
  const m = fakeManagement(script);
  const g = (gw = await startFakeGateway({ sse: happyScript() }));
  const fetchBoth: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return url.startsWith(m.base) ? m.fetch(input, init) : globalThis.fetch(input, init);
  };
  return {
    m,
    g,
    run: (argv, env = {}) => {
      const clock = fakeClock();
      return run(["--url", g.url, ...argv], {
        fetch: fetchBoth,
        now: clock.now,
        sleep: clock.sleep,
        env: { FRIENDLI_API_BASE: m.base, FRIENDLI_TOKEN: "flp_tok", ...env },
      });
    },
  };
}

describe("client --wake", () => {
  it("wakes a sleeping endpoint once, waits, then sends the chat request to the endpoint id", async () => {
    const s = await setup(sleepyEndpoint(2));
    const r = await s.run(["--wake", "--model", "ep-sleepy"]);
    expect(r.code).toBe(0);
    expect(s.m.wakes()).toBe(1);
    expect(s.g.requests).toHaveLength(1);
    expect(s.g.requests[0]!.body.model).toBe("ep-sleepy");
    expect(r.err).toContain("[wake] ep-sleepy: SLEEPING (+0 ms)");
    expect(r.err).toContain("wake-up requested");
    expect(r.err).toContain("ep-sleepy: AWAKING · phase PROVISIONING");
    expect(r.err).toContain("ep-sleepy is ready (RUNNING)");
    expect(r.out).toContain(HEADINGS.output);
    expect(s.m.calls[0]!.path).toBe("/dedicated/beta/endpoint/ep-sleepy/status");
  });

  it("takes the endpoint id from FRIENDLI_ENDPOINT_ID, and the token from UPSTREAM_API_KEY", async () => {
    const s = await setup(() => ({ status: "RUNNING" }));
    const r = await s.run(["--wake"], { FRIENDLI_ENDPOINT_ID: "ep-env", FRIENDLI_TOKEN: "", UPSTREAM_API_KEY: "up-key", FRIENDLI_TEAM: "t1" });
    expect(r.code).toBe(0);
    expect(s.m.calls[0]!.path).toBe("/dedicated/beta/endpoint/ep-env/status");
    expect(s.m.calls[0]!.headers.authorization).toBe("Bearer up-key");
    expect(s.m.calls[0]!.headers["x-friendli-team"]).toBe("t1");
    expect(s.g.requests[0]!.body.model).toBe("ep-env");
  });

  it("does not call wake for an endpoint that is already AWAKING", async () => {
    const s = await setup((poll) => (poll < 3 ? { status: "AWAKING", phase: "LOADING_MODEL" } : { status: "RUNNING" }));
    const r = await s.run(["--wake", "--model", "ep-1"]);
    expect(r.code).toBe(0);
    expect(s.m.wakes()).toBe(0);
    expect(s.g.requests).toHaveLength(1);
  });

  it("stops on FAILED with what to do, and sends no chat request", async () => {
    const s = await setup(() => ({ status: "FAILED", phase: { step: "CRASH_LOOP" } }));
    const r = await s.run(["--wake", "--model", "ep-1"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: dedicated endpoint ep-1 is FAILED (phase: CRASH_LOOP)");
    expect(r.err).toContain("Restart it or redeploy it in Friendli Suite");
    expect(s.g.requests).toHaveLength(0);
  });

  it("times out after --wake-timeout with exit 1 and sends no chat request", async () => {
    const s = await setup(() => ({ status: "AWAKING", phase: "PROVISIONING" }));
    const r = await s.run(["--wake", "--model", "ep-stuck", "--wake-timeout", "30", "--wake-interval", "10"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("ep-stuck was not ready after 30 s");
    expect(s.m.statusPolls()).toBe(4);
    expect(s.g.requests).toHaveLength(0);
  });

  it("explains FRIENDLI_TOKEN on 401 and sends nothing", async () => {
    const s = await setup(() => ({ httpStatus: 401 }));
    const r = await s.run(["--wake", "--model", "ep-1"], { FRIENDLI_TOKEN: "" });
    expect(r.code).toBe(1);
    expect(r.err).toContain("needs a token and none is set (HTTP 401). Set FRIENDLI_TOKEN");
    expect(s.g.requests).toHaveLength(0);
  });

  it("exits 130 when interrupted while waiting, and sends nothing", async () => {
    const s = await setup(() => ({ status: "AWAKING" }));
    const ac = new AbortController();
    const clock = fakeClock();
    let polls = 0;
    const r = await run(["--url", s.g.url, "--wake", "--model", "ep-1"], {
      env: { FRIENDLI_API_BASE: s.m.base },
      now: clock.now,
      // Ctrl-C arrives during the second wait between polls.
      sleep: async (_ms, signal) => {
        if (++polls === 2) ac.abort();
        if (signal?.aborted) throw new Error("aborted");
      },
      fetch: (input, init) => s.m.fetch(input, init),
      signal: ac.signal,
    });
    expect(r.code).toBe(130);
    expect(r.err).toContain("interrupted: nothing was sent");
    expect(s.g.requests).toHaveLength(0);
  });

  it("prints wake progress as JSON lines with --json", async () => {
    const s = await setup(sleepyEndpoint(1));
    const r = await s.run(["--wake", "--model", "ep-1", "--json"]);
    expect(r.code).toBe(0);
    const events = jsonLines(r.out).map((l) => l.event);
    expect(events.slice(0, 4)).toEqual(["wake.status", "wake.requested", "wake.status", "wake.status"]);
    expect(jsonLines(r.out)[0]!.data).toEqual({ endpoint_id: "ep-1", status: "SLEEPING", phase: null, elapsed_ms: 0 });
    expect(events.slice(4)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.delta", "output.done"]);
    expect(r.err).toBe("");
  });
});

describe("client check-dedicated", () => {
  it("prints id, status and phase; exit 0 when running", async () => {
    const s = await setup(() => ({ status: "RUNNING", phase: null }));
    const r = await s.run(["check-dedicated", "--model", "ep-ok"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe("endpoint: ep-ok\nstatus:   RUNNING\nphase:    none\n");
    expect(s.m.wakes()).toBe(0);
    expect(s.g.requests).toHaveLength(0);
  });

  it("exits 1 when not ready, without waking it", async () => {
    const s = await setup(() => ({ status: "SLEEPING", phase: null }));
    const r = await s.run(["check-dedicated"], { FRIENDLI_ENDPOINT_ID: "ep-z" });
    expect(r.code).toBe(1);
    expect(r.out).toContain("status:   SLEEPING");
    expect(r.err).toContain("--wake");
    expect(s.m.wakes()).toBe(0);
  });

  it("exits 2 without an endpoint id", async () => {
    const s = await setup(() => ({ status: "RUNNING" }));
    const r = await s.run(["check-dedicated"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("needs an endpoint id");
    expect(s.m.calls).toHaveLength(0);
  });

  it("prints one JSON line with --json", async () => {
    const s = await setup(() => ({ status: "AWAKING", phase: { step: "LOADING_MODEL" } }));
    const r = await s.run(["--json", "check-dedicated", "--model", "ep-j"]);
    expect(r.code).toBe(1);
    expect(jsonLines(r.out)).toEqual([
      { event: "dedicated.status", data: { endpoint_id: "ep-j", status: "AWAKING", phase: "LOADING_MODEL", ready: false } },
    ]);
  });
});
