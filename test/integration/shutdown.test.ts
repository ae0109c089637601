import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { openRequestLog } from "../../src/storage/index.js";
import { freePort } from "../helpers/net.js";
import { first, postStaged, userMessage } from "../helpers/sse.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});


describe("graceful shutdown", () => {
  it("on SIGTERM lets an in-flight stream finish, refuses new work, and flushes the request log", async () => {
    const mock = await startMockUpstream({ latency: { reasoningChunkMs: 30, answerChunkMs: 30 } });
    cleanup.push(() => mock.close());
    const dataDir = mkdtempSync(join(tmpdir(), "gw-shutdown-"));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", UPSTREAM_BASE_URL: mock.baseUrl, DATA_DIR: dataDir, LOG_LEVEL: "info", SHUTDOWN_GRACE_SECONDS: "20" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    cleanup.push(() => void child.kill("SIGKILL"));
    await expect.poll(() => output.includes("gateway listening"), { timeout: 20_000 }).toBe(true);

    const url = `http://127.0.0.1:${port}`;
    let signalled = false;
    const stream = postStaged(url, { model: "mock-tagged", messages: userMessage("A long question to keep the stream open.") }, {
      onEvent: (e) => {
        if (e.event === "summary.prompt" && !signalled) {
          signalled = true;
          child.kill("SIGTERM");
        }
      },
    });
    const r = await stream;
    expect(signalled).toBe(true);
    expect(r.events.at(-1)?.event).toBe("output.done");
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(await exited).toBe(0);

    const log = await openRequestLog({ dataDir: join(dataDir, "requests"), logger: silentLogger() });
    try {
      const rows = await log.list();
      expect(rows.map((x) => x.id)).toEqual([first(r, "output.done").data.request_id]);
      expect(rows[0]?.outcome).toBe("ok");
    } finally {
      await log.close();
    }
  });
});
