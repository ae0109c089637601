/**
 * Resumable streams across real replicas: three gateway processes behind Debian's nginx, the
 * events in the real Redis (a key prefix of this file's own). A client that drops its connection
 * reconnects through nginx to a *different* replica with Last-Event-ID and gets the rest exactly.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { requireNginx, startNginx, type RunningNginx } from "../helpers/nginx.js";
import { dropPrefix, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { startReplica, type ReplicaProcess } from "../helpers/replicas.js";
import { readFrames, userMessage } from "../helpers/sse.js";

const RUN = (await requireRedis()) && requireNginx();
const KEY = "resume-test-key-0123456789";
const auth = { authorization: `Bearer ${KEY}` };
const ANSWER = "Water boils at 100 °C at sea level. ".repeat(6);
const ask = { model: "mock-reasoning_content", messages: userMessage("At what temperature does water boil?") };

const cleanup: (() => Promise<void> | void)[] = [];
const dumps: (() => string)[] = [];
afterEach(async (ctx) => {
  const failed = ctx.task.result?.state === "fail";
  for (const c of cleanup.splice(0).reverse()) await c();
  if (failed) for (const dump of dumps) console.error(dump());
  dumps.length = 0;
});

async function startFleet(
  mockOptions: Parameters<typeof startMockUpstream>[0],
  grace: string,
  more: Record<string, string> = {},
): Promise<{ replicas: ReplicaProcess[]; nginx: RunningNginx; mock: RunningMock }> {
  const prefix = testPrefix("resume");
  cleanup.push(() => dropPrefix(prefix));
  const mock = await startMockUpstream(mockOptions);
  cleanup.push(() => mock.close());
  const dir = mkdtempSync(join(tmpdir(), "sgw-resume-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    UPSTREAM_BASE_URL: mock.baseUrl,
    GATEWAY_API_KEYS: KEY,
    RESUME_GRACE_SECONDS: grace,
    REQUEST_LOG: "false",
    ...more,
  };
  const started = await Promise.allSettled(Array.from({ length: 3 }, () => startReplica(env, { key: KEY })));
  const replicas = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  cleanup.push(async () => void (await Promise.all(replicas.map((r) => r.kill("SIGKILL")))));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  for (const r of replicas) dumps.push(() => `--- replica ${r.id}\n${r.output()}`);
  const nginx = await startNginx(replicas.map((r) => r.port));
  cleanup.push(() => nginx.close());
  return { replicas, nginx, mock };
}

describe.skipIf(!RUN)("resumable streams across replicas behind nginx", { timeout: 120_000 }, () => {
  it("a reconnect through nginx that lands on a different replica continues exactly: nothing duplicated, nothing missing", async () => {
    const { nginx } = await startFleet(
      { answerText: ANSWER, reasoningText: "Boiling depends on pressure. ".repeat(4), chunkChars: 12, latency: { reasoningChunkMs: 40, answerChunkMs: 40 } },
      "10",
    );
    const drop = new AbortController();
    const res = await fetch(`${nginx.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(ask),
      signal: drop.signal,
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id") ?? "";
    const runner = res.headers.get("x-gateway-instance");
    const before = await readFrames(res, (f) => f.event === "summary.prompt", drop);
    const lastId = before.at(-1)?.id ?? "";

    // nginx balances round robin: reconnect until the answer comes from another replica.
    let again: Response | undefined;
    for (let i = 0; i < 6 && !again; i++) {
      const r = await fetch(`${nginx.url}/v1/requests/${requestId}/stream`, { headers: { ...auth, "last-event-id": lastId } });
      if (r.headers.get("x-gateway-instance") !== runner) again = r;
      else await r.body?.cancel();
    }
    expect(again?.status).toBe(200);
    const after = await readFrames(again!);
    const all = [...before, ...after];
    expect(all.map((f) => f.id)).toEqual(all.map((_, i) => String(i + 1)));
    expect(all.filter((f) => f.event === "output.done")).toHaveLength(1);
    expect(
      all
        .filter((f) => f.event === "output.delta")
        .map((f) => String(f.data.text))
        .join(""),
    ).toBe(ANSWER);
  });

  it("without a reconnect, the upstream call is cancelled after the grace; a cancel through another replica ends one at once", async () => {
    const { nginx, mock } = await startFleet(
      { answerText: ANSWER, reasoningText: "Slow thoughts. ".repeat(40), chunkChars: 12, latency: { reasoningChunkMs: 200 } },
      "2",
    );
    const drop = new AbortController();
    const res = await fetch(`${nginx.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(ask),
      signal: drop.signal,
    });
    await readFrames(res, (f) => f.event === "summary.prompt", drop);
    const droppedAt = performance.now();
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"), 20_000);
    expect(performance.now() - droppedAt).toBeGreaterThanOrEqual(1_800);

    // A second request, cancelled through whichever replica nginx picks (usually not its runner).
    mock.mock.reset();
    const res2 = await fetch(`${nginx.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(ask),
    });
    const requestId = res2.headers.get("x-request-id") ?? "";
    const reading = readFrames(res2);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat"));
    const cancelled = await fetch(`${nginx.url}/v1/requests/${requestId}/cancel`, { method: "POST", headers: auth });
    expect(cancelled.status).toBe(200);
    // The client is still reading, so no grace is running: only the cancel can end the upstream
    // call (left alone, its ~10 s of reasoning would run to the end).
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"), 10_000);
    expect((await reading).map((f) => f.event)).not.toContain("output.done");
  });

  it("a reconnect to another replica after the runner was SIGKILLed is told so within seconds, not after the grace", async () => {
    const { replicas } = await startFleet(
      { answerText: ANSWER, reasoningText: "Slow thoughts. ".repeat(40), chunkChars: 12, latency: { reasoningChunkMs: 200 } },
      "60",
      {
        REPLICA_TTL_SECONDS: "2",
      },
    );
    const [runner, other] = replicas as [ReplicaProcess, ReplicaProcess];
    const drop = new AbortController();
    const res = await fetch(`${runner.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(ask),
      signal: drop.signal,
    });
    const requestId = res.headers.get("x-request-id") ?? "";
    const before = await readFrames(res, (f) => f.event === "summary.prompt", drop);
    await runner.kill("SIGKILL");
    const again = await fetch(`${other.url}/v1/requests/${requestId}/stream`, { headers: { ...auth, "last-event-id": before.at(-1)?.id ?? "0" } });
    expect(again.status).toBe(200);
    expect(again.headers.get("x-gateway-instance")).toBe(other.id);
    const after = await readFrames(again);
    // Well within the 60 s grace (the test's own timeout is 120 s): the dead runner was noticed.
    expect(after.at(-1)).toMatchObject({
      event: "error",
      data: { code: "resume_incomplete", message: expect.stringContaining("the replica running it stopped") },
    });
    expect(after.map((f) => f.event)).not.toContain("output.done");
  });
});
