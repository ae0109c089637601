// The probe the hostile tests use counts a loop held by the process's own work, not time the OS
// kept it off a core (load from other processes): a busy block counts, a block that burns no CPU
// (a stand-in for being descheduled) does not.
import { describe, expect, it } from "vitest";
import { MAX_LOOP_DELAY_MS, watchLoop } from "./loop-probe.js";

const tick = () => new Promise((r) => setTimeout(r, 30));

describe("loop probe", () => {
  it("counts a block of 1.2 s of CPU on the event loop, however long a loaded machine stretches it", async () => {
    const watch = watchLoop();
    await tick();
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const until = cpuMs() + 1_200;
    while (cpuMs() < until) {
      // spin
    }
    await tick();
    expect(watch.stop().maxDelayMs).toBeGreaterThanOrEqual(MAX_LOOP_DELAY_MS);
  });

  it("does not count 1.2 s in which the thread held the loop without using a CPU", async () => {
    const watch = watchLoop();
    await tick();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_200);
    await tick();
    expect(watch.stop().maxDelayMs).toBeLessThan(MAX_LOOP_DELAY_MS / 2);
  });
});
