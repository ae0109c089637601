import { describe, expect, it } from "vitest";
import { classifyStatus, describePhase, ensureAwake, FriendliError, parseEndpointState, type EndpointState } from "../../../client/index.js";
import { fakeManagement, sleepyEndpoint, type FakeManagement, type StatusAnswer } from "./fake-management.js";
import { fakeClock } from "./helpers.js";

const cfg = (m: FakeManagement, extra: { token?: string; team?: string } = {}) => ({ base: m.base, endpointId: "ep-1", ...extra });

async function wake(m: FakeManagement, opts: { timeoutMs?: number; intervalMs?: number; token?: string; team?: string } = {}) {
  const clock = fakeClock();
  const seen: EndpointState[] = [];
  let wakeNotes = 0;
  const result = ensureAwake(cfg(m, opts), { fetch: m.fetch, sleep: clock.sleep, now: clock.now }, {
    timeoutMs: opts.timeoutMs ?? 600_000,
    intervalMs: opts.intervalMs ?? 5_000,
    onStatus: (s) => seen.push(s),
    onWake: () => wakeNotes++,
  });
  return { result, seen, clock, wakeNotes: () => wakeNotes };
}

describe("friendli: reading the status answer tolerantly", () => {
  it.each([
    [{ id: "ep-1", status: "running", phase: null }, { id: "ep-1", status: "RUNNING", phase: null }],
    [{ status: "AWAKING", phase: "LOADING_MODEL" }, { id: "ep-x", status: "AWAKING", phase: "LOADING_MODEL" }],
    [{ status: "AWAKING", phase: { step: "WARMING_UP", progress: 0.5 } }, { id: "ep-x", status: "AWAKING", phase: "WARMING_UP" }],
    [{ status: "AWAKING", phase: { name: "PROVISIONING" } }, { id: "ep-x", status: "AWAKING", phase: "PROVISIONING" }],
    [{ status: "AWAKING", phase: { message: "pulling image" } }, { id: "ep-x", status: "AWAKING", phase: "pulling image" }],
    [{ status: "AWAKING", phase: { n: 3 } }, { id: "ep-x", status: "AWAKING", phase: '{"n":3}' }],
    [{ status: 42 }, { id: "ep-x", status: "UNKNOWN", phase: null }],
    ["garbage", { id: "ep-x", status: "UNKNOWN", phase: null }],
  ])("%j", (body, expected) => {
    expect(parseEndpointState(body, "ep-x")).toEqual(expected);
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
      "AWAKING/PROVISIONING",
      "AWAKING/LOADING_MODEL",
      "AWAKING/WARMING_UP",
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

  it.each(["FAILED", "TERMINATED", "TERMINATING", "STOPPING"])("stops on %s with what to do", async (status) => {
    const m = fakeManagement(() => ({ status, phase: null }));
    const w = await wake(m);
    const err = await w.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FriendliError);
    expect((err as FriendliError).kind).toBe("failed");
    expect((err as FriendliError).message).toMatch(new RegExp(`ep-1 is ${status}.*Restart it or redeploy it in Friendli Suite`));
    expect(m.wakes()).toBe(0);
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

  it("reports a missing endpoint clearly", async () => {
    const m = fakeManagement(() => ({ httpStatus: 404 }));
    const err = (await (await wake(m)).result.catch((e: unknown) => e)) as FriendliError;
    expect(err.kind).toBe("not_found");
    expect(err.message).toContain("ep-1 was not found");
  });
});
