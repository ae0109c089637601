import { describe, expect, it } from "vitest";
import { pollUntil, spawnProcess } from "../helpers/process.js";

describe("the process helper", () => {
  it("waits for output printed late, by polling", async () => {
    const p = spawnProcess(process.execPath, ["-e", "setTimeout(() => console.log('ready at last'), 300)"]);
    await p.waitForOutput("ready at last", 10_000);
    expect((await p.exited).code).toBe(0);
  });

  it("fails at once, with the output, when the process exits before it is ready", async () => {
    const p = spawnProcess(process.execPath, ["-e", "console.error('cannot listen: EADDRINUSE'); process.exit(1)"]);
    const started = Date.now();
    await expect(p.waitForOutput("gateway listening", 60_000)).rejects.toThrow(/exited before printing gateway listening[\s\S]*EADDRINUSE/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("names what it waited for when the bound runs out", async () => {
    await expect(pollUntil("a condition that never holds", () => false, 100)).rejects.toThrow(
      "timed out after 100 ms waiting for a condition that never holds",
    );
  });
});
