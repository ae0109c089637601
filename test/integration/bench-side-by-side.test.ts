import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../bench/client.js";
import { readSettings, SYSTEM_IDS, type SideBySideSettings, type SystemId } from "../../bench/config.js";
import { startBenchMock, type BenchMock } from "../../bench/mock.js";
import {
  gatewayHasWorkers,
  onFreePort,
  PORTKEY_ENTRY,
  portkeyVersions,
  spawnFloor,
  spawnGateway,
  spawnPortkey,
  waitForChildren,
  type Proc,
} from "../../bench/procs.js";
import { relayTarget, runSideBySide } from "../../bench/side-by-side.js";
import { sideBySideMarkdown } from "../../bench/side-by-side-report.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";

/**
 * Keeps `make bench`'s side-by-side section from rotting: the floor relay and Portkey's gateway in
 * their own processes (as the bench runs them, compiled: the suite's global set-up ran `make
 * build`), ours in this process, every measurement of the section at a tiny scale, two repetitions
 * so the order alternates. Asserts shape and correctness (every answer arrived whole), never speed.
 *
 * Portkey is installed by `make test` (`make bench-deps`: bench/portkey). A plain `npx vitest run`
 * without it skips this file and says why; in CI (`CI=true`) a missing install fails instead.
 */
const PORTKEY = existsSync(PORTKEY_ENTRY);
if (!PORTKEY && process.env.CI === "true")
  throw new Error(`Portkey's gateway is not installed at ${PORTKEY_ENTRY}; make test installs it (make bench-deps), and CI never skips this file`);
const TITLE = PORTKEY ? "bench side by side (smoke)" : "bench side by side (smoke) — skipped: Portkey's gateway is not installed (run make bench-deps)";
const base = readSettings({});
const settings: SideBySideSettings = {
  ...base.sideBySide,
  reps: 2,
  concurrency: [2],
  rounds: 1,
  minRequests: 2,
  zeroSeconds: 0.2,
  zeroConcurrency: 3,
  memoryStreams: 3,
  workers: [1],
  profile: { ...base.sideBySide.profile, headersMs: 2, promptSummaryMs: 1, reasoningSummaryMs: 1, reasoningChunkMs: 1, answerChunkMs: 1 },
};
const agent = createAgent();
const open: { mock?: BenchMock; gateway?: RunningGateway; procs: Proc[] } = { procs: [] };

beforeAll(async () => {
  if (PORTKEY) open.mock = await startBenchMock({});
}, 20_000);

afterAll(async () => {
  for (const p of open.procs) await p.stop();
  await open.gateway?.close();
  await open.mock?.close();
  await agent.close();
});

describe.skipIf(!PORTKEY)(TITLE, () => {
  it(
    "runs floor, Portkey and ours through every measurement and reports the targets",
    async () => {
      const mock = open.mock!;
      const mockUrl = `http://127.0.0.1:${mock.port}`;
      // With --inspect, so the memory row can force a GC in them (the bench starts fresh ones).
      const [floor, portkey, gateway] = await Promise.all([
        onFreePort((port) => spawnFloor(port, mock.baseUrl, ["--inspect=127.0.0.1:0"], "dist")),
        onFreePort((port) => spawnPortkey(port, ["--inspect=127.0.0.1:0"])),
        startGateway({ UPSTREAM_BASE_URL: mock.baseUrl }),
      ]);
      open.procs.push(floor, portkey);
      open.gateway = gateway;
      const ours: Proc = { pid: process.pid, url: gateway.url, log: () => "", stop: async () => undefined };
      const procFor = (id: SystemId): Proc => (id === "floor" ? floor : id === "portkey" ? portkey : ours);
      let workers: { n: number; url: string; pid: number }[] | null = null;
      if (gatewayHasWorkers()) {
        const g = await onFreePort((port) => spawnGateway(port, mock.baseUrl, { WORKERS: "1" }, [], "dist"));
        open.procs.push(g);
        await waitForChildren(g.pid, 1);
        workers = [{ n: 1, url: g.url, pid: g.pid }];
      }
      const r = await runSideBySide({
        agent,
        mockUrl,
        // The mock runs in this process: one clock, no offset to estimate (an estimate under load is off by ms).
        offsetMs: 0,
        settings,
        targets: SYSTEM_IDS.map((id) => relayTarget(id, procFor(id).url, procFor(id).pid, mockUrl)),
        workers,
        // Reused rather than fresh: a smoke checks the path, not the figure.
        startForMemory: async (id) => ({ ...procFor(id), stop: async () => undefined }),
      });

      expect(r.orders).toEqual([[...SYSTEM_IDS], [...SYSTEM_IDS].reverse()]);
      expect(r.relays.map((x) => x.id)).toEqual([...SYSTEM_IDS]);
      for (const x of r.relays) {
        expect({ id: x.id, failed: x.failed, failures: x.failures }).toEqual({ id: x.id, failed: 0, failures: [] });
        for (const c of settings.concurrency) {
          // A chunk counts only once the client has its first answer text, and on a loaded machine
          // (this process is the mock, the client and ours at once) a whole 1 ms-paced answer can
          // arrive in one piece: a repetition may then have no chunk figure, but not both.
          expect(x.chunkP50[c]?.values.length ?? 0, `${x.id} c=${c}`).toBeGreaterThanOrEqual(1);
          expect(x.ttfbAddedP50[c]?.values.length, `${x.id} c=${c}`).toBe(2);
          // One clock: nothing can arrive before the mock wrote it, so a negative figure is a matching bug.
          expect(x.chunkP50[c]!.min, `${x.id} c=${c}`).toBeGreaterThanOrEqual(0);
          expect(x.ttfbAddedP50[c]!.min, `${x.id} c=${c}`).toBeGreaterThanOrEqual(0);
        }
        expect(x.zeroPerSecond?.median, x.id).toBeGreaterThan(0);
        expect(x.memory?.open, x.id).toBe(3);
      }
      // Upstream calls per request, as the mock counted them: a relay makes one; ours adds the prompt
      // summary, and the reasoning summary when there is reasoning.
      expect(Object.fromEntries(r.relays.map((x) => [x.id, x.calls]))).toEqual({ floor: 1, portkey: 1, plain: 2, openai: 2, staged: 3 });
      // Both spawned relays have an inspector: their live heap is read.
      expect(r.relays.find((x) => x.id === "floor")?.heapKBPerStream).not.toBeNull();
      expect(r.relays.find((x) => x.id === "portkey")?.heapKBPerStream).not.toBeNull();

      const md = sideBySideMarkdown(r, {
        startedAt: new Date().toISOString(),
        durationSeconds: 1,
        machine: { nproc: 2, cpu: "test", node: process.version, os: "test", memoryGiB: 1 },
        load: { start: [1, 1, 1], end: [1, 1, 1] },
        commit: "test",
        gatewayBuild: "dist",
        portkey: portkeyVersions(),
      });
      expect(md).toContain("| per request / per chunk | floor | Portkey | ours plain (/v1) | ours plain (/openai/v1) | ours staged |");
      expect(md).toContain("#### Targets\n");
      expect(md).toMatch(/added per chunk p50 ≤ 1\.2× floor, c=2 \| [\d.]+ ms = [\d.]+× floor: (met|\*\*not met\*\*)/);
      expect(md).toContain(`\`@hono/node-server\` ${portkeyVersions()?.nodeServer}`);
      if (workers === null) expect(md).toMatch(/staged requests\/s, zero delay, WORKERS=1 \| – \| – \| – \| – \| not available \|/);
      else expect(md).toMatch(/staged requests\/s, zero delay, WORKERS=1 \| – \| – \| – \| – \| \d+/);
    },
    PROCESS_TEST_MS,
  );
});
