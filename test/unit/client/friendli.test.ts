import { describe, expect, it } from "vitest";
import { classifyStatus, describePhase, ensureAwake, FriendliError, parseEndpointState, type EndpointState } from "../../../client/index.js";
import { failedEndpoint, fakeManagement, sleepyEndpoint, type FakeManagement, type StatusAnswer } from "./fake-management.js";
import { fakeClock } from "./helpers.js";

const cfg = (m: FakeManagement, extra: { token?: string; team?: string } = {}) => ({ base: m.base, endpointId: "ep-1", ...extra });

async function wake(m: FakeManagement, opts: { timeoutMs?: number; intervalMs?: number; token?: string; team?: string } = {}) {
  const clock = fakeClock();
  const seen: EndpointState[] = [];
  let wakeNotes = 0;
  const result = ensureAwake(
    cfg(m, opts),
    { fetch: m.fetch, sleep: clock.sleep, now: clock.now },
    {
      timeoutMs: opts.timeoutMs ?? 600_000,
      intervalMs: opts.intervalMs ?? 5_000,
      onStatus: (s) => seen.push(s),
      onWake: () => wakeNotes++,
    },
  );
  return { result, seen, clock, wakeNotes: () => wakeNotes };
}

describe("friendli: reading the status answer tolerantly", () => {
  const S = { phase: null, errorCode: null, updatedAt: null };
  it.each([
    // The published DedicatedEndpointStatus: status, phase, errorCode, createdAt, updatedAt (no id).
    [
      { status: "INITIALIZING", createdAt: "2025-01-01T00:00:00Z", updatedAt: "2025-01-02T00:00:00Z", phase: "DOWNLOADING_MODEL" },
      { status: "INITIALIZING", phase: "DOWNLOADING_MODEL", errorCode: null, updatedAt: "2025-01-02T00:00:00Z" },
    ],
    [
      { status: "FAILED", errorCode: "WORKLOAD_INIT_DOWNLOAD_ERROR", phase: null },
      { ...S, status: "FAILED", errorCode: "WORKLOAD_INIT_DOWNLOAD_ERROR" },
    ],
    [
      { status: "running", phase: null },
      { ...S, status: "RUNNING" },
    ],
    // Tolerance for shapes an older or newer API might send.
    [
      { status: "AWAKING", phase: { step: "ENGINE_INITIALIZING", progress: 0.5 } },
      { ...S, status: "AWAKING", phase: "ENGINE_INITIALIZING" },
    ],
    [
      { status: "AWAKING", phase: { name: "REQUESTING_VIRTUAL_MACHINE" } },
      { ...S, status: "AWAKING", phase: "REQUESTING_VIRTUAL_MACHINE" },
    ],
    [
      { status: "AWAKING", phase: { message: "pulling image" } },
      { ...S, status: "AWAKING", phase: "pulling image" },
    ],
    [
      { status: "AWAKING", phase: { n: 3 } },
      { ...S, status: "AWAKING", phase: '{"n":3}' },
    ],
    [
      { status: 42, errorCode: 7 },
      { ...S, status: "UNKNOWN" },
    ],
    ["garbage", { ...S, status: "UNKNOWN" }],
  ])("%j", (body, expected) => {
    expect(parseEndpointState(body)).toEqual(expected);
  });

  it("classifies every documented status", () => {
    expect(["RUNNING", "READY"].map(classifyStatus)).toEqual(["ready", "ready"]);
    expect(classifyStatus("SLEEPING")).toBe("sleeping");
    expect(["AWAKING", "INITIALIZING", "UPDATING"].map(classifyStatus)).toEqual(Array(3).fill("transitional"));
    expect(["FAILED", "TERMINATED", "TERMINATING", "STOPPING"].map(classifyStatus)).toEqual(Array(4).fill("failed"));
    expect(classifyStatus("SOMETHING_NEW")).toBe("unknown");
    expect(describePhase("")).toBeNull();
  });
});

describe("friendli: ensureAwake", () => {
  it("wakes a sleeping endpoint exactly once, polls through the phases, and resolves when running", async () => {
    const m = fakeManagement(sleepyEndpoint(3));
    const w = await wake(m);
    await expect(w.result).resolves.toMatchObject({ status: "RUNNING" });
    expect(m.wakes()).toBe(1);
    expect(w.wakeNotes()).toBe(1);
    expect(w.seen.map((s) => `${s.status}/${s.phase ?? "-"}`)).toEqual([
      "SLEEPING/-",
      "AWAKING/REQUESTING_VIRTUAL_MACHINE",
      "AWAKING/DOWNLOADING_MODEL",
      "AWAKING/ENGINE_INITIALIZING",
      "RUNNING/-",
    ]);
    expect(w.clock.sleeps).toEqual([5_000, 5_000, 5_000, 5_000]);
    const wakeCall = m.calls.find((c) => c.method === "PUT");
    expect(wakeCall?.path).toBe("/dedicated/beta/endpoint/ep-1/wake");
  });

  it("does not wake again while the status still lags at SLEEPING", async () => {
    const m = fakeManagement((poll) => (poll < 4 ? { status: "SLEEPING" } : { status: "RUNNING" }));
    const w = await wake(m);
    await expect(w.result).resolves.toMatchObject({ status: "RUNNING" });
    expect(m.wakes()).toBe(1);
  });

  it("only polls an endpoint that is already coming up", async () => {
    const m = fakeManagement((poll) => (poll < 2 ? { status: "AWAKING", phase: "LOADING_MODEL" } : { status: "RUNNING" }));
    const w = await wake(m);
    await expect(w.result).resolves.toMatchObject({ status: "RUNNING" });
    expect(m.wakes()).toBe(0);
    expect(w.seen).toHaveLength(2); // unchanged status/phase is reported once
  });

  it("returns at once for a running endpoint", async () => {
    const m = fakeManagement(() => ({ status: "READY" }));
    const w = await wake(m);
    await expect(w.result).resolves.toMatchObject({ status: "READY" });
    expect(m.calls).toHaveLength(1);
  });

  it.each(["FAILED", "TERMINATED"])("stops on %s and offers --restart, without restarting unasked", async (status) => {
    const m = fakeManagement(() => ({ status, errorCode: status === "FAILED" ? "INFERENCE_ENGINE_MEMORY_ERROR" : null }));
    const w = await wake(m);
    const err = await w.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FriendliError);
    expect((err as FriendliError).kind).toBe("failed");
    expect((err as FriendliError).message).toContain(`ep-1 is ${status}`);
    expect((err as FriendliError).message).toContain("--restart");
    if (status === "FAILED") expect((err as FriendliError).message).toContain("(INFERENCE_ENGINE_MEMORY_ERROR: the engine ran out of GPU memory)");
    expect(m.wakes()).toBe(0);
    expect(m.restarts()).toBe(0);
  });

  it.each(["TERMINATING", "STOPPING"])("stops on %s without offering a restart the API would refuse", async (status) => {
    const m = fakeManagement(() => ({ status }));
    let asked = 0;
    const clock = fakeClock();
    const err = (await ensureAwake(
      cfg(m),
      { fetch: m.fetch, sleep: clock.sleep, now: clock.now },
      {
        timeoutMs: 60_000,
        intervalMs: 5_000,
        confirmRestart: () => Promise.resolve(++asked > 0),
      },
    ).catch((e: unknown) => e)) as FriendliError;
    expect(err.kind).toBe("failed");
    expect(err.message).not.toContain("--restart");
    expect(asked).toBe(0);
    expect(m.restarts()).toBe(0);
  });

  it("restarts a FAILED endpoint once when confirmed, then waits until it runs", async () => {
    const m = fakeManagement(failedEndpoint("WORKLOAD_INIT_DOWNLOAD_ERROR", 2));
    const clock = fakeClock();
    const asked: EndpointState[] = [];
    const seen: string[] = [];
    const state = await ensureAwake(
      cfg(m),
      { fetch: m.fetch, sleep: clock.sleep, now: clock.now },
      {
        timeoutMs: 600_000,
        intervalMs: 5_000,
        onStatus: (s) => seen.push(`${s.status}/${s.phase ?? s.errorCode ?? "-"}`),
        confirmRestart: (s) => {
          asked.push(s);
          return Promise.resolve(true);
        },
      },
    );
    expect(state.status).toBe("RUNNING");
    expect(asked.map((s) => s.errorCode)).toEqual(["WORKLOAD_INIT_DOWNLOAD_ERROR"]);
    expect(m.restarts()).toBe(1);
    expect(m.wakes()).toBe(0);
    expect(m.calls.find((c) => c.method === "PUT")?.path).toBe("/dedicated/beta/endpoint/ep-1/restart");
    expect(seen).toEqual(["FAILED/WORKLOAD_INIT_DOWNLOAD_ERROR", "INITIALIZING/REQUESTING_VIRTUAL_MACHINE", "INITIALIZING/DOWNLOADING_MODEL", "RUNNING/-"]);
  });

  it("does not restart when the answer is no, and does not restart twice when it fails again", async () => {
    const no = fakeManagement(failedEndpoint());
    const clock = fakeClock();
    const declined = (await ensureAwake(
      cfg(no),
      { fetch: no.fetch, sleep: clock.sleep, now: clock.now },
      {
        timeoutMs: 60_000,
        intervalMs: 5_000,
        confirmRestart: () => Promise.resolve(false),
      },
    ).catch((e: unknown) => e)) as FriendliError;
    expect(declined.kind).toBe("declined");
    expect(no.restarts()).toBe(0);

    const again = fakeManagement((_p, _w, restarts) =>
      restarts === 0 ? { status: "FAILED" } : { status: "FAILED", errorCode: "INFERENCE_ENGINE_MEMORY_ERROR" },
    );
    const failed = (await ensureAwake(
      cfg(again),
      { fetch: again.fetch, sleep: clock.sleep, now: clock.now },
      {
        timeoutMs: 60_000,
        intervalMs: 5_000,
        confirmRestart: () => Promise.resolve(true),
      },
    ).catch((e: unknown) => e)) as FriendliError;
    expect(failed.kind).toBe("failed");
    expect(failed.message).toContain("INFERENCE_ENGINE_MEMORY_ERROR");
    expect(again.restarts()).toBe(1);
  });

  it("keeps polling unknown statuses and times out with the last status", async () => {
    const m = fakeManagement(() => ({ status: "MIGRATING", phase: "step 2" }));
    const w = await wake(m, { timeoutMs: 20_000, intervalMs: 3_000 });
    const err = (await w.result.catch((e: unknown) => e)) as FriendliError;
    expect(err.kind).toBe("timeout");
    expect(err.message).toContain("not ready after 20 s (last status: MIGRATING, phase step 2)");
    // The last sleep is cut to the deadline and one final poll happens at it.
    expect(w.clock.sleeps).toEqual([3000, 3000, 3000, 3000, 3000, 3000, 2000]);
    expect(m.statusPolls()).toBe(8);
  });

  it("sends the token as a bearer and the team header", async () => {
    const m = fakeManagement(sleepyEndpoint(1));
    const w = await wake(m, { token: "flp_tok", team: "team-7" });
    await w.result;
    for (const c of m.calls) {
      expect(c.headers.authorization).toBe("Bearer flp_tok");
      expect(c.headers["x-friendli-team"]).toBe("team-7");
    }
  });

  it.each([401, 403])("explains FRIENDLI_TOKEN on %i", async (httpStatus) => {
    const m = fakeManagement(() => ({ httpStatus }));
    const err = (await (await wake(m)).result.catch((e: unknown) => e)) as FriendliError;
    expect(err.kind).toBe("auth");
    expect(err.message).toContain(`HTTP ${httpStatus}`);
    expect(err.message).toContain("FRIENDLI_TOKEN");
  });

  it("rides out a 5xx blip once the API has answered, but fails fast on the first call", async () => {
    const answers: StatusAnswer[] = [{ status: "AWAKING" }, { httpStatus: 502 }, { status: "RUNNING" }];
    const m = fakeManagement((poll) => answers[poll] ?? { status: "RUNNING" });
    await expect((await wake(m)).result).resolves.toMatchObject({ status: "RUNNING" });

    const down = fakeManagement(() => ({ httpStatus: 503 }));
    const err = (await (await wake(down)).result.catch((e: unknown) => e)) as FriendliError;
    expect(err.kind).toBe("http");
    expect(down.statusPolls()).toBe(1);
  });

  it("quotes the API's own detail on other errors", async () => {
    const m = fakeManagement(() => ({ httpStatus: 400, body: { detail: "Endpoint ep-1 is FAILED; it cannot be woken." } }));
    const err = (await (await wake(m)).result.catch((e: unknown) => e)) as FriendliError;
    expect(err.kind).toBe("http");
    expect(err.message).toBe("the Friendli management API answered HTTP 400 to status: Endpoint ep-1 is FAILED; it cannot be woken.");
  });

  it("reports a missing endpoint clearly", async () => {
    const m = fakeManagement(() => ({ httpStatus: 404 }));
    const err = (await (await wake(m)).result.catch((e: unknown) => e)) as FriendliError;
    expect(err.kind).toBe("not_found");
    expect(err.message).toContain("ep-1 was not found");
  });
});
