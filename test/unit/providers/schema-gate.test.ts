import { describe, expect, it } from "vitest";
import { createSchemaGate, providersFileSchema, type JsonChange } from "../../../src/providers/index.js";

const health = (extra: Record<string, number> = {}) =>
  providersFileSchema.shape.health.parse({ schema_failure_rate: 0.5, schema_window_seconds: 10, schema_min_requests: 4, ...extra });

function setup(extra: Record<string, number> = {}) {
  let t = 1_000_000;
  const changes: JsonChange[] = [];
  const gate = createSchemaGate(
    health(extra),
    () => t,
    (c) => changes.push(c),
  );
  return { gate, changes, advance: (ms: number) => (t += ms) };
}

describe("the schema gate (cloud-only mode for JSON)", () => {
  it("skips a provider once enough of its answers failed, and only then", () => {
    const { gate, changes } = setup();
    for (const ok of [false, false, false]) gate.checked("box", ok);
    expect(gate.admits("box")).toBe(true); // 3 checks, all failed, but under schema_min_requests
    gate.checked("box", true);
    expect(gate.admits("box")).toBe(false); // 3 of 4 failed: above 0.5
    expect(gate.standing("box")).toEqual({ skipped: true, checked: 4, failed: 3, retryInMs: 10_000 });
    expect(changes).toEqual([{ id: "box", skipped: true, reason: "3 of its last 4 JSON answers failed their schema (over 10 s)" }]);
    expect(gate.admits("cloud")).toBe(true);
  });

  it("half the answers failing is not above a rate of 0.5; failures that left the window do not count", () => {
    const { gate, advance } = setup();
    for (const ok of [false, true, false, true]) gate.checked("box", ok);
    expect(gate.admits("box")).toBe(true);
    advance(11_000);
    for (const ok of [false, false, true]) gate.checked("box", ok);
    expect(gate.standing("box")).toMatchObject({ skipped: false, checked: 3, failed: 2 });
  });

  it("lets one JSON request try it again after a window; a valid answer ends the skip with a clean record", () => {
    const { gate, changes, advance } = setup();
    for (let i = 0; i < 4; i++) gate.checked("box", false);
    advance(9_999);
    expect(gate.admits("box")).toBe(false);
    advance(1);
    expect(gate.admits("box")).toBe(true); // the probe
    expect(gate.admits("box")).toBe(false); // only one
    gate.checked("box", true);
    expect(gate.admits("box")).toBe(true);
    expect(gate.standing("box")).toEqual({ skipped: false, checked: 1, failed: 0, retryInMs: 0 });
    expect(changes.map((c) => [c.skipped, c.reason])).toEqual([
      [true, "4 of its last 4 JSON answers failed their schema (over 10 s)"],
      [false, "a JSON answer validated again"],
    ]);
  });

  it("an invalid probe answer keeps it skipped for another window; a probe without a verdict does too", () => {
    const { gate, advance } = setup();
    for (let i = 0; i < 4; i++) gate.checked("box", false);
    advance(10_000);
    expect(gate.admits("box")).toBe(true);
    gate.checked("box", false);
    expect(gate.admits("box")).toBe(false);
    advance(10_000);
    expect(gate.admits("box")).toBe(true); // this probe's request never reached it (a client left)
    advance(9_000);
    expect(gate.admits("box")).toBe(false);
    advance(1_000);
    expect(gate.admits("box")).toBe(true);
  });

  it("schema_failure_rate: 1 turns it off; reset forgets everything and says so", () => {
    const off = setup({ schema_failure_rate: 1 });
    for (let i = 0; i < 20; i++) off.gate.checked("box", false);
    expect(off.gate.admits("box")).toBe(true);
    const { gate, changes } = setup();
    for (let i = 0; i < 4; i++) gate.checked("box", false);
    gate.reset();
    expect(gate.admits("box")).toBe(true);
    expect(changes.at(-1)).toEqual({ id: "box", skipped: false, reason: "reset" });
  });

  it("the providers file takes the settings, with defaults, and refuses nonsense", () => {
    expect(providersFileSchema.shape.health.parse({})).toMatchObject({ schema_failure_rate: 0.5, schema_window_seconds: 300, schema_min_requests: 5 });
    expect(providersFileSchema.shape.health.safeParse({ schema_failure_rate: 0 }).success).toBe(false);
    expect(providersFileSchema.shape.health.safeParse({ schema_failure_rate: 1.5 }).success).toBe(false);
    expect(providersFileSchema.shape.health.safeParse({ schema_min_requests: 0.5 }).success).toBe(false);
  });
});
