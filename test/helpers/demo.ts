/**
 * `scripts/demo.sh` as the demo tests run it: from a scratch directory of its own (the script finds
 * the build beside itself; the gateway reads `.env` from there), with an explicit environment, a
 * short reasoning phase (2 s, progress every 0.5 s: the same sections and progress lines a newcomer
 * sees in 6), killed and cleaned up after each test.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { freePort } from "./net.js";
import { childEnv, ROOT, scratchDir, spawnProcess, type Spawned } from "./process.js";

export function useDemo(): (extra?: Record<string, string>, dotenv?: string) => Promise<{ p: Spawned; port: number }> {
  const running: Spawned[] = [];
  const scratch: (() => void)[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) await p.kill();
    for (const remove of scratch.splice(0)) remove();
  });

  /**
   * The demo with a short reasoning phase (2 s, progress every 0.5 s: the same sections and progress
   * lines a newcomer sees in 6) from a scratch directory holding `dotenv`, when given.
   */
  return async function demo(extra: Record<string, string> = {}, dotenv?: string): Promise<{ p: Spawned; port: number }> {
    const cwd = scratchDir("demo-");
    scratch.push(cwd.remove);
    if (dotenv !== undefined) writeFileSync(join(cwd.dir, ".env"), dotenv);
    const port = await freePort();
    const mockPort = await freePort();
    // detached: Ctrl-C in a terminal reaches the whole process group, and so does our kill().
    const p = spawnProcess("bash", [join(ROOT, "scripts/demo.sh")], {
      cwd: cwd.dir,
      detached: true,
      env: childEnv({
        PORT: String(port),
        MOCK_PORT: String(mockPort),
        HOST: "127.0.0.1",
        DATA_DIR: join(cwd.dir, "data"),
        MOCK_LONG_REASONING_SECONDS: "2",
        REASONING_PROGRESS_SECONDS: "0.5",
        CLIENT_ARGS: "",
        KEEP: "",
        ...extra,
      }),
    });
    running.push(p);
    return { p, port };
  };
}
