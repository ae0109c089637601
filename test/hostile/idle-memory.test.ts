// What the embedded request log costs at rest. A gateway idled at 834–862 MB RSS with it: PGlite
// kept initdb's WebAssembly memory for the life of the process after creating a data directory,
// and PostgreSQL's 128 MB buffer cache grew into memory WebAssembly never gives back. Measured in
// a process of its own (with a forced GC), so nothing else in this one counts.
import { expect, it } from "vitest";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { spawnProcess } from "../helpers/process.js";

it(
  "PGlite on a fresh data directory: 16 MB of buffer cache, and initdb's memory given back (external memory well under the 630 MB it held)",
  async () => {
    const p = spawnProcess(process.execPath, ["--expose-gc", "--import", "tsx", "test/hostile/pglite-memory.script.ts"], {
      cwd: new URL("../..", import.meta.url),
    });
    await p.waitForOutput(/"externalMb"/);
    const report = JSON.parse(p.out().trim().split("\n").at(-1) ?? "{}") as { sharedBuffers: string; externalMb: number; rssMb: number };
    await p.exited;
    expect(report.sharedBuffers).toBe("16MB");
    // WebAssembly memories are external to the JS heap: with initdb's kept, 630 MB; without, about 150.
    expect(report.externalMb).toBeLessThan(350);
  },
  PROCESS_TEST_MS,
);
