import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { openRequestLog } from "../../src/storage/index.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { startGatewayProcess } from "../helpers/process.js";
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
    const gw = await startGatewayProcess({ ...process.env, UPSTREAM_BASE_URL: mock.baseUrl, DATA_DIR: dataDir, SHUTDOWN_GRACE_SECONDS: "20" });
    const child = gw.child;
    cleanup.push(() => gw.kill());
    const url = gw.url;
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
    expect((await gw.exited).code).toBe(0);

    const log = await openRequestLog({ dataDir: join(dataDir, "requests"), logger: silentLogger() });
    try {
      const rows = await log.list();
      expect(rows.map((x) => x.id)).toEqual([first(r, "output.done").data.request_id]);
      expect(rows[0]?.outcome).toBe("ok");
    } finally {
      await log.close();
    }
  }, PROCESS_TEST_MS);
});
