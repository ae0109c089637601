import { afterEach, describe, expect, it } from "vitest";
import { HEADINGS } from "../../../client/render.js";
import { happyScript, startFakeGateway, type FakeGateway } from "./fake-gateway.js";
import { failedEndpoint, fakeManagement, sleepyEndpoint, type FakeManagement, type StatusAnswer } from "./fake-management.js";
import { fakeClock, jsonLines, run } from "./helpers.js";

let gw: FakeGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

interface Setup {
  m: FakeManagement;
  g: FakeGateway;
  run(argv: string[], env?: Record<string, string>, confirm?: (question: string) => Promise<boolean>): ReturnType<typeof run>;
}

/** Management API through an injected fetch, chat requests to a real fake gateway, a fake clock. */
async function setup(script: (poll: number, wakes: number, restarts: number) => StatusAnswer): Promise<Setup> {
  const m = fakeManagement(script);
  const g = (gw = await startFakeGateway({ sse: happyScript() }));
  const fetchBoth: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return url.startsWith(m.base) ? m.fetch(input, init) : globalThis.fetch(input, init);
  };
  return {
    m,
    g,
    run: (argv, env = {}, confirm) => {
      const clock = fakeClock();
      return run(["--url", g.url, ...argv], {
        ...(confirm && { confirm }),
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
    expect(r.err).toContain("ep-sleepy: AWAKING · phase REQUESTING_VIRTUAL_MACHINE");
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
    const s = await setup((poll) => (poll < 3 ? { status: "AWAKING", phase: "DOWNLOADING_MODEL" } : { status: "RUNNING" }));
    const r = await s.run(["--wake", "--model", "ep-1"]);
    expect(r.code).toBe(0);
    expect(s.m.wakes()).toBe(0);
    expect(s.g.requests).toHaveLength(1);
  });

  it("stops on FAILED with its errorCode and the --restart hint, and sends no chat request", async () => {
    const s = await setup(failedEndpoint("WORKLOAD_INIT_DOWNLOAD_ERROR"));
    const r = await s.run(["--wake", "--model", "ep-1"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("[wake] ep-1: FAILED (WORKLOAD_INIT_DOWNLOAD_ERROR: the model could not be downloaded)");
    expect(r.err).toContain("error: dedicated endpoint ep-1 is FAILED (WORKLOAD_INIT_DOWNLOAD_ERROR: the model could not be downloaded)");
    expect(r.err).toContain("Run again with --restart");
    expect(s.m.restarts()).toBe(0);
    expect(s.g.requests).toHaveLength(0);
  });

  it("--restart asks first; yes restarts it once, waits, then sends the chat request", async () => {
    const s = await setup(failedEndpoint("WORKLOAD_INIT_DOWNLOAD_ERROR", 2));
    const questions: string[] = [];
    const r = await s.run(["--restart", "--model", "ep-1"], {}, (q) => {
      questions.push(q);
      return Promise.resolve(true);
    });
    expect(r.code).toBe(0);
    expect(questions).toEqual(["Dedicated endpoint ep-1 is FAILED (WORKLOAD_INIT_DOWNLOAD_ERROR: the model could not be downloaded). Restart it now? [y/N] "]);
    expect(s.m.restarts()).toBe(1);
    expect(r.err).toContain("[wake] restart requested");
    expect(r.err).toContain("ep-1: INITIALIZING · phase REQUESTING_VIRTUAL_MACHINE");
    expect(r.err).toContain("ep-1 is ready (RUNNING)");
    expect(s.g.requests.map((q) => q.body.model)).toEqual(["ep-1"]);
  });

  it("--restart answered no: nothing restarted, nothing sent, exit 1", async () => {
    const s = await setup(failedEndpoint());
    const r = await s.run(["--wake", "--restart", "--model", "ep-1"], {}, () => Promise.resolve(false));
    expect(r.code).toBe(1);
    expect(r.err).toContain("not restarting dedicated endpoint ep-1");
    expect(s.m.restarts()).toBe(0);
    expect(s.g.requests).toHaveLength(0);
  });

  it("--restart without a terminal to ask on refuses and points at --yes; --yes restarts without asking", async () => {
    const s = await setup(failedEndpoint("WORKLOAD_INIT_DOWNLOAD_ERROR", 1));
    const noTty = await s.run(["--wake", "--restart", "--model", "ep-1"]);
    expect(noTty.code).toBe(1);
    expect(noTty.err).toContain("pass --yes with --restart");
    expect(s.m.restarts()).toBe(0);

    let asked = 0;
    const yes = await s.run(["--restart", "--yes", "--model", "ep-1"], {}, () => Promise.resolve(++asked > 0));
    expect(yes.code).toBe(0);
    expect(asked).toBe(0);
    expect(s.m.restarts()).toBe(1);
    expect(s.g.requests).toHaveLength(1);
  });

  it("--yes without --restart is a usage error", async () => {
    const s = await setup(() => ({ status: "RUNNING" }));
    const r = await s.run(["--wake", "--yes", "--model", "ep-1"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--yes only answers the --restart question");
    expect(s.m.calls).toHaveLength(0);
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
    expect(jsonLines(r.out)[0]!.data).toEqual({ endpoint_id: "ep-1", status: "SLEEPING", phase: null, error_code: null, elapsed_ms: 0 });
    expect(events.slice(4)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.delta", "output.done"]);
    expect(r.err).toBe("");
  });
});

describe("client check-dedicated", () => {
  it("prints id, status and phase; exit 0 when running", async () => {
    const s = await setup(() => ({ status: "RUNNING", phase: null }));
    const r = await s.run(["check-dedicated", "--model", "ep-ok"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe("endpoint: ep-ok\nstatus:   RUNNING\nphase:    none\nupdated:  2025-01-01T00:00:00Z\n");
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

  it("shows a FAILED endpoint's errorCode and points at --restart", async () => {
    const s = await setup(failedEndpoint("INFERENCE_ENGINE_MEMORY_ERROR"));
    const r = await s.run(["check-dedicated", "--model", "ep-f"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("status:   FAILED\n");
    expect(r.out).toContain("error:    INFERENCE_ENGINE_MEMORY_ERROR: the engine ran out of GPU memory\n");
    expect(r.err).toContain("--wake --restart");
    expect(s.m.restarts()).toBe(0);
  });

  it("exits 2 without an endpoint id", async () => {
    const s = await setup(() => ({ status: "RUNNING" }));
    const r = await s.run(["check-dedicated"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("needs an endpoint id");
    expect(s.m.calls).toHaveLength(0);
  });

  it("prints one JSON line with --json", async () => {
    const s = await setup(() => ({ status: "AWAKING", phase: "DOWNLOADING_MODEL" }));
    const r = await s.run(["--json", "check-dedicated", "--model", "ep-j"]);
    expect(r.code).toBe(1);
    expect(jsonLines(r.out)).toEqual([
      {
        event: "dedicated.status",
        data: { endpoint_id: "ep-j", status: "AWAKING", phase: "DOWNLOADING_MODEL", error_code: null, updated_at: "2025-01-01T00:00:00Z", ready: false },
      },
    ]);
  });
});
