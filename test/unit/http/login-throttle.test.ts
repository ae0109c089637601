import { describe, expect, it } from "vitest";
import { createLoginThrottle, type LoginAttempt, type LoginThrottle } from "../../../src/http/index.js";

/** Let in, or the test fails. */
function admitted(t: LoginThrottle, client: string): LoginAttempt {
  const a = t.begin(client);
  if ("retryAfterMs" in a) throw new Error(`${client} was refused for ${a.retryAfterMs} ms`);
  return a;
}

describe("login throttle", () => {
  it("lets 5 attempts a minute in from one address, counted when they start; the 6th locks it, for longer each time", () => {
    let now = 0;
    const t = createLoginThrottle({ now: () => now });
    // Five started at once, none finished: all five count.
    for (let i = 0; i < 5; i++) admitted(t, "a");
    expect(t.begin("a")).toEqual({ retryAfterMs: 60_000 });
    expect(t.begin("a")).toEqual({ retryAfterMs: 60_000 });
    expect(t.retryAfterMs("b")).toBe(0);
    now += 60_000;
    for (let i = 0; i < 5; i++) admitted(t, "a");
    expect(t.begin("a")).toEqual({ retryAfterMs: 120_000 });
  });

  it("a right password forgets its address's count, but not a lockout that began while it was on its way", () => {
    let now = 0;
    const t = createLoginThrottle({ now: () => now });
    for (let i = 0; i < 4; i++) admitted(t, "a");
    admitted(t, "a").succeeded();
    for (let i = 0; i < 5; i++) admitted(t, "a");
    const inFlight = admitted(t, "b");
    for (let i = 0; i < 4; i++) admitted(t, "b");
    expect(t.begin("b")).toEqual({ retryAfterMs: 60_000 });
    inFlight.succeeded();
    now += 1_000;
    expect(t.begin("b")).toEqual({ retryAfterMs: 59_000 });
  });

  it("counts attempts within the window only, and caps the lockout", () => {
    let now = 0;
    const t = createLoginThrottle({ now: () => now, maxLockMs: 100_000 });
    for (let i = 0; i < 8; i++) {
      admitted(t, "a");
      now += 20_000;
    }
    expect(t.retryAfterMs("a")).toBe(0);
    now += 60_000;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) admitted(t, "a");
      const refused = t.begin("a");
      now += "retryAfterMs" in refused ? refused.retryAfterMs : 0;
    }
    for (let i = 0; i < 5; i++) admitted(t, "a");
    expect(t.begin("a")).toEqual({ retryAfterMs: 100_000 });
  });

  it("locks the account for a window once all addresses together made 30 attempts, and not longer the next time", () => {
    let now = 0;
    const t = createLoginThrottle({ now: () => now });
    for (let i = 0; i < 30; i++) admitted(t, `10.0.0.${i % 6}`);
    expect(t.begin("10.0.1.1")).toEqual({ retryAfterMs: 60_000 });
    expect(t.retryAfterMs("10.0.1.2")).toBe(60_000);
    now += 60_000;
    for (let i = 0; i < 30; i++) admitted(t, `10.0.2.${i}`);
    expect(t.begin("10.0.3.1")).toEqual({ retryAfterMs: 60_000 });
  });
});
