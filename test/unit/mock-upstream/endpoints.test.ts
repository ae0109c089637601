import { describe, expect, it } from "vitest";
import { createEndpointRegistry, type EndpointSeed } from "../../../mock-upstream/endpoints.js";

/** A registry on a hand-driven clock, so every phase boundary is exact. */
function registry(seeds: Record<string, EndpointSeed>, delayMs = 900) {
  let t = 0;
  const r = createEndpointRegistry(
    () => seeds,
    () => delayMs,
    { now: () => t, wallClock: () => Date.UTC(2025, 0, 1) + t },
  );
  return { r, advance: (ms: number) => void (t += ms) };
}

const body = (result: ReturnType<ReturnType<typeof createEndpointRegistry>["status"]>) => {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.refusal)}`);
  return result.body;
};

describe("mock Friendli endpoints", () => {
  it("answers the published DedicatedEndpointStatus shape, without an id", () => {
    const { r } = registry({ "ep-a": { status: "SLEEPING" } });
    const b = body(r.status("ep-a"));
    expect(Object.keys(b).sort()).toEqual(["createdAt", "errorCode", "phase", "status", "updatedAt"]);
    expect(b).toMatchObject({ status: "SLEEPING", errorCode: null, phase: null, updatedAt: "2025-01-01T00:00:00.000Z" });
    expect(Date.parse(b.createdAt)).toBeLessThan(Date.parse(b.updatedAt ?? ""));
  });

  it("wakes through REQUESTING_VIRTUAL_MACHINE, DOWNLOADING_MODEL, ENGINE_INITIALIZING to RUNNING", () => {
    const { r, advance } = registry({ "ep-a": { status: "SLEEPING" } });
    expect(body(r.wake("ep-a"))).toMatchObject({ status: "AWAKING", phase: "REQUESTING_VIRTUAL_MACHINE", updatedAt: "2025-01-01T00:00:00.000Z" });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      advance(300);
      const b = body(r.status("ep-a"));
      seen.push(`${b.status}/${b.phase ?? "-"}`);
    }
    expect(seen).toEqual(["AWAKING/DOWNLOADING_MODEL", "AWAKING/ENGINE_INITIALIZING", "RUNNING/-", "RUNNING/-"]);
    // updatedAt is when it became RUNNING, not when it was looked at.
    expect(body(r.status("ep-a")).updatedAt).toBe("2025-01-01T00:00:00.900Z");
  });

  it("treats wake as idempotent (no 409): a running or waking endpoint stays as it is", () => {
    const { r, advance } = registry({ "ep-up": { status: "RUNNING" }, "ep-s": { status: "SLEEPING" } });
    expect(body(r.wake("ep-up")).status).toBe("RUNNING");
    r.wake("ep-s");
    advance(400);
    expect(body(r.wake("ep-s"))).toMatchObject({ status: "AWAKING", phase: "DOWNLOADING_MODEL" });
  });

  it("refuses to wake FAILED/TERMINATED, restarts them through INITIALIZING, and clears errorCode", () => {
    const { r, advance } = registry({ "ep-f": { status: "FAILED", errorCode: "WORKLOAD_INIT_DOWNLOAD_ERROR" }, "ep-t": { status: "TERMINATED" } });
    expect(body(r.status("ep-f"))).toMatchObject({ status: "FAILED", errorCode: "WORKLOAD_INIT_DOWNLOAD_ERROR", phase: null });
    expect(r.wake("ep-f")).toEqual({ ok: false, refusal: { kind: "bad_state", message: expect.stringContaining("Restart it instead") } });
    for (const id of ["ep-f", "ep-t"]) {
      expect(body(r.restart(id))).toMatchObject({ status: "INITIALIZING", errorCode: null, phase: "REQUESTING_VIRTUAL_MACHINE" });
    }
    advance(900);
    expect(body(r.status("ep-f")).status).toBe("RUNNING");
    expect(r.restart("ep-f")).toEqual({ ok: false, refusal: { kind: "bad_state", message: expect.stringContaining("only a FAILED or TERMINATED") } });
  });

  it("sleeps a running endpoint; a stuck one never finishes waking", () => {
    const { r, advance } = registry({ "ep-up": { status: "RUNNING" }, "ep-stuck": { status: "SLEEPING", stuck: true } });
    expect(body(r.sleep("ep-up")).status).toBe("SLEEPING");
    r.wake("ep-stuck");
    advance(100_000);
    expect(body(r.status("ep-stuck"))).toMatchObject({ status: "AWAKING", phase: "ENGINE_INITIALIZING" });
  });

  it("knows only declared endpoints: anything else is not found", () => {
    const { r } = registry({ "ep-a": { status: "SLEEPING" } });
    expect(r.has("ep-a")).toBe(true);
    expect(r.has("ep-b")).toBe(false);
    for (const result of [r.status("ep-b"), r.wake("ep-b"), r.sleep("ep-b"), r.restart("ep-b")])
      expect(result).toEqual({ ok: false, refusal: { kind: "not_found" } });
  });

  it("starts over from a reconfigured seed, and on reset", () => {
    const seeds: Record<string, EndpointSeed> = { "ep-a": { status: "SLEEPING" } };
    const { r } = registry(seeds);
    r.wake("ep-a");
    r.reset();
    expect(body(r.status("ep-a")).status).toBe("SLEEPING");
    seeds["ep-a"] = { status: "RUNNING" };
    expect(body(r.status("ep-a")).status).toBe("RUNNING");
  });
});
