/**
 * Ids that key a stream are the gateway's: a client's own x-request-id — reused by an honest
 * retry, or another key's running id — can never make two requests share an event log, crash the
 * process, inject into another stream or take it over. On one process, and on two replicas
 * sharing Redis. And what a resumable stream keeps is bounded.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { createFleet, type Fleet } from "../../src/fleet/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { sample } from "../helpers/prom.js";
import { dropPrefix, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { readFrames, userMessage, type Frame } from "../helpers/sse.js";

const REDIS = await requireRedis();
const ALPHA = "key-alpha-0123456789";
const BRAVO = "key-bravo-0123456789";
const ADMIN = "admin-token-0123456789";
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const ANSWER = "Apples grow on trees in orchards. ".repeat(5);
const paced = {
  answerText: ANSWER,
  reasoningText: "Thinking about apples and trees. ".repeat(4),
  chunkChars: 10,
  latency: { reasoningChunkMs: 25, answerChunkMs: 25 },
};
const ask = (content: string) => ({ model: "mock-reasoning_content", messages: userMessage(content) });

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function gateways(n: number, env: Record<string, string>, redis: boolean): Promise<RunningGateway[]> {
  const mock = await startMockUpstream(paced);
  cleanup.push(() => mock.close());
  const prefix = testPrefix("ids");
  if (redis) cleanup.push(() => dropPrefix(prefix));
  const out: RunningGateway[] = [];
  for (let i = 0; i < n; i++) {
    const fleet: Fleet | undefined = redis
      ? createFleet({
          redis: { url: TEST_REDIS_URL, prefix, timeoutMs: 1_000 },
          info: { id: `replica-${i}-${randomUUID().slice(0, 4)}`, version: "test", started_at: new Date().toISOString(), host: "here", pid: i, worker: null },
          ttlMs: 5_000,
          logger: silentLogger(),
          wallClock: () => Date.now(),
          now: () => performance.now(),
          inFlight: () => 0,
        })
      : undefined;
    if (fleet) {
      fleet.start();
      cleanup.push(() => fleet.close());
    }
    const gw = await startGateway(
      { UPSTREAM_BASE_URL: mock.baseUrl, GATEWAY_API_KEYS: `${ALPHA},${BRAVO}`, ADMIN_TOKEN: ADMIN, ...env },
      fleet ? { fleet } : {},
    );
    cleanup.push(() => gw.close());
    out.push(gw);
    // Each replica reaches Redis before the test asks anything of the fleet.
    if (redis) await expect.poll(() => fetch(`${gw.url}/v1/monitoring/health`, { headers: as(ADMIN) }).then((r) => r.json())).toMatchObject({ redis: "up" });
  }
  return out;
}

const post = (url: string, body: unknown, headers: Record<string, string>, signal?: AbortSignal) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    ...(signal && { signal }),
  });
const answerOf = (frames: Frame[]) =>
  frames
    .filter((f) => f.event === "output.delta")
    .map((f) => String(f.data.text))
    .join("");

for (const redis of [false, true]) {
  describe.skipIf(redis && !REDIS)(`request ids on ${redis ? "two replicas sharing Redis" : "one process"}`, () => {
    it("two long requests with the same x-request-id run side by side, each under its own id, and the process lives", async () => {
      const [a, b = a] = await gateways(redis ? 2 : 1, { RESUME_GRACE_SECONDS: "30" }, redis);
      const first = await post(a!.url, ask("apples?"), { ...as(ALPHA), "x-request-id": "retry-me-1" });
      const reading = readFrames(first);
      const second = await post(b!.url, ask("bananas?"), { ...as(ALPHA), "x-request-id": "retry-me-1" });
      const [one, two] = await Promise.all([reading, readFrames(second)]);
      const ids = [first.headers.get("x-request-id"), second.headers.get("x-request-id")];
      expect(ids[0]).not.toBe(ids[1]);
      for (const [frames, id] of [
        [one, ids[0]],
        [two, ids[1]],
      ] as const) {
        expect(frames.map((f) => f.data.request_id).every((r) => r === id)).toBe(true);
        expect(frames.map((f) => f.id)).toEqual(frames.map((_, i) => String(i + 1)));
        expect(frames.filter((f) => f.event === "output.done")).toHaveLength(1);
        expect(answerOf(frames)).toBe(ANSWER);
      }
      // The client's own id names no stream: it cannot resume someone else's by it.
      expect((await fetch(`${a!.url}/v1/requests/retry-me-1/stream`, { headers: as(ALPHA) })).status).toBe(404);
      expect((await fetch(`${a!.url}/healthz`)).status).toBe(200);
    });

    it("another key sending a running request's id gets a stream of its own: nothing injected, owner unchanged", async () => {
      const [a, b = a] = await gateways(redis ? 2 : 1, { RESUME_GRACE_SECONDS: "30" }, redis);
      const victim = await post(a!.url, ask("apples?"), as(ALPHA));
      const victimId = victim.headers.get("x-request-id") ?? "";
      const victimFrames = readFrames(victim);
      const attacker = await post(b!.url, ask("bananas?"), { ...as(BRAVO), "x-request-id": victimId, "x-client-request-id": victimId });
      expect(attacker.headers.get("x-request-id")).not.toBe(victimId);
      const attackerFrames = await readFrames(attacker);
      expect(attackerFrames.every((f) => f.data.request_id !== victimId)).toBe(true);
      const frames = await victimFrames;
      expect(frames.every((f) => f.data.request_id === victimId)).toBe(true);
      expect(frames.filter((f) => f.event === "output.done")).toHaveLength(1);
      expect(answerOf(frames)).toBe(ANSWER);
      // The stream is still its owner's, and only its owner's, on every replica.
      for (const gw of [a!, b!]) {
        expect((await fetch(`${gw.url}/v1/requests/${victimId}/stream?after=0`, { headers: as(BRAVO) })).status).toBe(403);
        const mine = await fetch(`${gw.url}/v1/requests/${victimId}/stream?after=0`, { headers: as(ALPHA) });
        expect(mine.status).toBe(200);
        expect(answerOf(await readFrames(mine))).toBe(ANSWER);
      }
    });
  });
}

describe("what a resumable stream keeps is bounded", () => {
  it("a Responses request with megabytes of instructions streams live, but is kept only up to RESUME_MAX_BYTES, and the total stays under its bound", async () => {
    const [gw] = await gateways(
      1,
      { RESUME_GRACE_SECONDS: "30", RESUME_MAX_BYTES: "262144", RESUME_MAX_TOTAL_BYTES: "1048576", MAX_BODY_BYTES: "4194304" },
      false,
    );
    const instructions = "Answer briefly. ".repeat(64 * 1024); // 1 MiB, echoed by response.created / in_progress / completed
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${gw!.url}/openai/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json", ...as(ALPHA) },
        body: JSON.stringify({ model: "mock-reasoning_content", input: "apples?", instructions, stream: true }),
      });
      expect(res.status).toBe(200);
      const frames = await readFrames(res);
      expect(frames.at(-1)?.event).toBe("response.completed");
      ids.push((res.headers.get("x-request-id") ?? "").toString());
    }
    const kept = sample(await (await fetch(`${gw!.url}/metrics`, { headers: as(ADMIN) })).text(), "gateway_resume_kept_bytes");
    expect(kept).toBeLessThanOrEqual(1_048_576);
    // Too big to keep: a reconnect is told it cannot continue exactly, never handed a cut stream.
    const again = await readFrames(await fetch(`${gw!.url}/openai/v1/responses/resp_${ids[0]}?stream=true&starting_after=0`, { headers: as(ALPHA) }));
    expect(again.at(-1)).toMatchObject({ event: "error", data: { code: "resume_incomplete" } });
  });
});
