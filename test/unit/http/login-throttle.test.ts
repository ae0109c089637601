import { describe, expect, it } from "vitest";
import { createLoginThrottle } from "../../../src/http/index.js";

describe("login throttle", () => {
  it("locks a client out after 5 failures within a minute, for longer each time, and forgets it on success", () => {
    let now = 0;
    const t = createLoginThrottle({ now: () => now });
    for (let i = 0; i < 4; i++) t.failed("a");
    expect(t.retryAfterMs("a")).toBe(0);
    t.failed("a");
    expect(t.retryAfterMs("a")).toBe(60_000);
    expect(t.retryAfterMs("b")).toBe(0);
    now += 60_000;
    expect(t.retryAfterMs("a")).toBe(0);
    for (let i = 0; i < 5; i++) t.failed("a");
    expect(t.retryAfterMs("a")).toBe(120_000);
    now += 120_000;
    t.succeeded("a");
    for (let i = 0; i < 5; i++) t.failed("a");
    expect(t.retryAfterMs("a")).toBe(60_000);
  });

  it("counts failures within the window only, and caps the lockout", () => {
    let now = 0;
    const t = createLoginThrottle({ now: () => now, maxLockMs: 100_000 });
    for (let i = 0; i < 8; i++) {
      t.failed("a");
      now += 20_000;
    }
    expect(t.retryAfterMs("a")).toBe(0);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) t.failed("a");
      now += t.retryAfterMs("a");
    }
    for (let i = 0; i < 5; i++) t.failed("a");
    expect(t.retryAfterMs("a")).toBe(100_000);
  });
});
