/**
 * Several real gateway processes behind Debian's nginx, sharing state through the real Redis
 * (each test under a prefix of its own), against in-process mock upstreams that count calls.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { requireNginx, startNginx, type RunningNginx } from "../helpers/nginx.js";
import { chatCalls } from "../helpers/providers.js";
import { sample } from "../helpers/prom.js";
import { dropPrefix, redisTarget, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { health, startReplica, type ReplicaProcess } from "../helpers/replicas.js";
import { first, postStaged, userMessage, type StagedResult } from "../helpers/sse.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

const RUN = (await requireRedis()) && requireNginx();

const ask = { model: "reasoning-llm", messages: userMessage("What is the boiling point of water at sea level?") };
const KEY = "replica-test-key-0123456789";
const auth = { authorization: `Bearer ${KEY}` };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async (ctx) => {
  const failed = ctx.task.result?.state === "fail";
  for (const c of cleanup.splice(0).reverse()) await c();
  if (failed) for (const dump of dumps) console.error(dump());
  dumps.length = 0;
});
// What each process said, printed when a test fails.
const dumps: (() => string)[] = [];

interface Fleet {
  replicas: ReplicaProcess[];
  nginx: RunningNginx;
  mocks: Record<string, RunningMock>;
  prefix: string;
}

/**
 * Two providers (alpha first), summaries on beta only so every call at alpha is a chat call, and
 * a model only beta serves, for load that must leave alpha alone.
 */
const providersYaml = (mocks: Record<string, RunningMock>, health = "") => `
providers:
  - { id: alpha, base_url: "${mocks.alpha!.baseUrl}", priority: 1, models: { "*": mock-tagged } }
  - { id: beta, base_url: "${mocks.beta!.baseUrl}", priority: 2, models: { "*": mock-tagged } }
routes:
  - { model: beta-only, strategy: priority, providers: [beta] }
  - { model: "*", strategy: priority, providers: [alpha, beta] }
summary_route: { strategy: priority, providers: [beta] }
${health}`;

async function startFleet(opts: { n?: number; env?: Record<string, string>; health?: string; redisUrl?: string } = {}): Promise<Fleet> {
  const prefix = testPrefix("replicas");
  cleanup.push(() => dropPrefix(prefix));
  const mocks = { alpha: await startMockUpstream(), beta: await startMockUpstream() };
  cleanup.push(() => Promise.all(Object.values(mocks).map((m) => m.close())).then(() => undefined));
  const dir = mkdtempSync(join(tmpdir(), "sgw-replicas-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "providers.yaml");
  writeFileSync(file, providersYaml(mocks, opts.health));
  const env = { REDIS_URL: opts.redisUrl ?? TEST_REDIS_URL, REDIS_PREFIX: prefix, PROVIDERS_FILE: file, GATEWAY_API_KEYS: KEY, ...opts.env };
  const started = await Promise.allSettled(Array.from({ length: opts.n ?? 3 }, () => startReplica(env, { key: KEY })));
  const replicas = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  cleanup.push(async () => {
    await Promise.all(replicas.map((r) => r.kill("SIGKILL")));
  });
  const failed = started.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  for (const r of replicas) dumps.push(() => `--- replica ${r.id}\n${r.output()}`);
  const nginx = await startNginx(replicas.map((r) => r.port));
  cleanup.push(() => nginx.close());
  return { replicas, nginx, mocks, prefix };
}

const providerState = async (url: string, id: string): Promise<string | undefined> => {
  const body = (await (await fetch(`${url}/v1/providers`, { headers: auth })).json()) as { providers: { id: string; state: string }[] };
  return body.providers.find((p) => p.id === id)?.state;
};

/** Wall-clock ms at which a replica's mirror put alpha in cooldown, from its monitor's events. */
async function cooldownSeenAt(url: string): Promise<number | undefined> {
  const body = (await (await fetch(`${url}/v1/monitoring/logs?count=1000`, { headers: auth })).json()) as {
    events: { ts: string; type: string; provider?: string }[];
  };
  const e = body.events.find((x) => x.type === "cooldown" && x.provider === "alpha");
  return e ? Date.parse(e.ts) : undefined;
}

const ok = (r: StagedResult) => r.status === 200 && r.events.at(-1)?.event === "output.done";

// Real processes on a shared two-core machine: generous bounds, never a fixed sleep.
describe.skipIf(!RUN)("replicas behind nginx sharing Redis", { timeout: 90_000 }, () => {
  it("a provider's 429 seen through one replica makes the other two skip it, told through Redis", async () => {
    const { replicas, nginx, mocks } = await startFleet({ health: "health: { cooldown_seconds: 30 }" });
    mocks.alpha!.mock.configure({ faults: { fail: { status: 429, times: 1, retryAfterSeconds: 20 } } });
    const r = await postStaged(nginx.url, ask, { headers: auth });
    expect(ok(r)).toBe(true);
    expect(first(r, "output.done").data.route).toMatchObject({ provider: "beta" });
    const seenBy = r.headers.get("x-gateway-instance");
    const others = replicas.filter((x) => x.id !== seenBy);
    expect(others).toHaveLength(2);
    const rejected = chatCalls(mocks.alpha!).find((c) => c.status === 429);
    expect(rejected).toBeDefined();
    // Each other replica takes alpha out on the word of the one that saw the 429 (it never saw one
    // itself: the mock refused only once). Order and eventual state, not cross-process milliseconds.
    await Promise.all(others.map((o) => expect.poll(() => cooldownSeenAt(o.url)).toBeTypeOf("number")));
    expect(chatCalls(mocks.alpha!).filter((c) => c.status === 429)).toHaveLength(1);
    for (const o of others) expect(await providerState(o.url, "alpha")).toBe("cooldown");
    // And they act on it: nothing more reaches alpha, whichever replica answers.
    const before = chatCalls(mocks.alpha!).length;
    const results = await Promise.all(
      [...others.flatMap((o) => [o.url, o.url]), nginx.url, nginx.url, nginx.url].map((u) => postStaged(u, ask, { headers: auth })),
    );
    expect(results.every(ok)).toBe(true);
    expect(results.map((x) => (first(x, "output.done").data.route as { provider: string }).provider)).toEqual(Array(7).fill("beta"));
    expect(chatCalls(mocks.alpha!)).toHaveLength(before);
  });

  it("a failing provider's circuit opens once, and exactly one half-open probe is sent fleet-wide", async () => {
    const { replicas, nginx, mocks } = await startFleet({ health: "health: { consecutive_failures: 2, cooldown_seconds: 3, min_requests: 1000 }" });
    mocks.alpha!.mock.configure({ faults: { fail: { status: 503, times: Infinity } } });
    // A burst through every replica: several hit alpha before the circuit opens; all fail over.
    const burst = await Promise.all(Array.from({ length: 9 }, (_, i) => postStaged(i < 6 ? replicas[i % 3]!.url : nginx.url, ask, { headers: auth })));
    expect(burst.every(ok)).toBe(true);
    for (const r of replicas) expect(await providerState(r.url, "alpha")).toBe("open");
    const stats = (await (await fetch(`${replicas[2]!.url}/v1/monitoring/stats`, { headers: auth })).json()) as {
      providers: { id: string; circuit_opens: number }[];
    };
    expect(stats.providers.find((p) => p.id === "alpha")?.circuit_opens).toBe(1);

    // Alpha recovers but answers slowly, so the probe is still running when the others arrive: 5 s
    // for twelve requests to reach a routing decision, which took more than 1 s on a loaded machine
    // (the probe ended, alpha was active again, and a second request went to it).
    mocks.alpha!.mock.configure({ faults: {}, latency: { headersMs: 5_000 } });
    await expect.poll(() => providerState(replicas[0]!.url, "alpha"), { interval: 25 }).toBe("half_open");
    const before = chatCalls(mocks.alpha!).length;
    const during = await Promise.all(Array.from({ length: 12 }, (_, i) => postStaged(i < 9 ? replicas[i % 3]!.url : nginx.url, ask, { headers: auth })));
    expect(during.every(ok)).toBe(true);
    expect(chatCalls(mocks.alpha!).length - before).toBe(1);
    expect(during.filter((x) => (first(x, "output.done").data.route as { provider: string }).provider === "alpha")).toHaveLength(1);
    // The probe succeeded: every replica takes alpha back.
    for (const r of replicas) await expect.poll(() => providerState(r.url, "alpha")).toBe("active");
  });

  it("a key limited to 30 requests per minute gets exactly 30 through across the three replicas", async () => {
    const { nginx, mocks } = await startFleet({ env: { KEY_RPM: "30" } });
    // Sent at once: the bucket refills one token per 2 s, none during a burst shorter than that.
    const sent = performance.now();
    let lastAnswer = 0;
    const all = await Promise.all(
      Array.from({ length: 45 }, () =>
        postStaged(nginx.url, ask, { headers: auth }).then((r) => {
          lastAnswer = Math.max(lastAnswer, r.events[0]?.at ?? performance.now());
          return r;
        }),
      ),
    );
    // Every decision was taken by the time its answer began; a machine too busy to finish the
    // burst in 2 s has legitimately earned a token more per 2 s (a per-replica limit would pass all 45).
    const refilled = Math.floor((lastAnswer - sent) / 2_000);
    const passed = all.filter((r) => r.status === 200);
    expect(passed.length).toBeGreaterThanOrEqual(30);
    expect(passed.length).toBeLessThanOrEqual(30 + refilled);
    if (refilled === 0) expect(passed).toHaveLength(30);
    expect(passed.every(ok)).toBe(true);
    expect(new Set(passed.map((r) => r.headers.get("x-gateway-instance"))).size).toBe(3);
    const limited = all.filter((r) => r.status === 429);
    expect(limited).toHaveLength(45 - passed.length);
    expect(limited[0]!.json).toMatchObject({ error: { code: "rate_limited" } });
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(chatCalls(mocks.beta!).length + chatCalls(mocks.alpha!).length).toBe(passed.length);
  });

  it("a concurrency limit holds across replicas, and a replica killed with SIGKILL frees its slots within its TTL", async () => {
    const TTL_S = 2;
    const { replicas, nginx, mocks } = await startFleet({ env: { KEY_MAX_CONCURRENT: "3", REPLICA_TTL_SECONDS: String(TTL_S) } });
    // Streams that stay open until their client leaves.
    mocks.alpha!.mock.configure({ faults: { stallAfterChunks: 2 } });
    const [r1, r2, r3] = replicas as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
    const hold = async (url: string) => {
      const ac = new AbortController();
      cleanup.push(() => ac.abort());
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify(ask),
        signal: ac.signal,
      });
      expect(res.status).toBe(200);
      return ac;
    };
    await hold(r1.url);
    await hold(r3.url);
    await hold(r3.url);
    // Three open across two replicas: the third replica, and nginx, must refuse a fourth.
    for (const url of [r2.url, nginx.url]) {
      const r = await postStaged(url, ask, { headers: auth });
      expect(r.status).toBe(429);
      expect(r.json).toMatchObject({ error: { code: "too_many_concurrent" } });
    }
    const killedAt = performance.now();
    expect(await r3.kill("SIGKILL")).toBeNull();
    // Its two slots are still counted right after the kill…
    expect((await postStaged(r2.url, ask, { headers: auth })).status).toBe(429);
    // …and lapse within the TTL (the holder refreshed them up to TTL/3 before it died).
    let freedAfter = 0;
    for (;;) {
      const ac = new AbortController();
      const res = await fetch(`${r2.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify(ask),
        signal: ac.signal,
      });
      if (res.status === 200) {
        freedAfter = performance.now() - killedAt;
        ac.abort();
        break;
      }
      await res.body?.cancel();
      if (performance.now() - killedAt > TTL_S * 1000 + 3_000) throw new Error("slots never freed");
      await new Promise((r) => setTimeout(r, 50));
    }
    // Not before the holder's last refresh could lapse; the upper bound is the loop's own ceiling
    // (a loaded machine delays the lapse's noticing, never brings it forward).
    expect(freedAfter).toBeGreaterThan(((TTL_S * 1000) / 3) * 2 - 300);
  });

  it("Redis cut mid-load: zero failed requests, health says degraded, state re-syncs when it returns", async () => {
    const proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    // A generous command timeout: on a loaded machine a slow answer from a healthy Redis must not
    // count as a second outage (the cut itself closes the connections, and is seen at once).
    const { replicas, nginx, mocks } = await startFleet({
      redisUrl: proxy.url(),
      env: { KEY_RPM: "100000", KEY_MAX_CONCURRENT: "100", REDIS_TIMEOUT_MS: "2000" },
    });
    const [r1, r2, r3] = replicas as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
    mocks.beta!.mock.configure({ latency: { answerChunkMs: 5 } });
    let load = true;
    const results: StagedResult[] = [];
    const worker = async () => {
      while (load) results.push(await postStaged(nginx.url, { ...ask, model: "beta-only" }, { headers: auth }));
    };
    const workers = Promise.all(Array.from({ length: 4 }, worker));
    await expect.poll(() => results.length).toBeGreaterThan(8);

    proxy.cut();
    for (const r of replicas) await expect.poll(() => health(r.url, KEY), { interval: 50 }).toMatchObject({ status: "degraded", redis: "down" });
    const metrics = await (await fetch(`${r1.url}/metrics`, { headers: auth })).text();
    expect(sample(metrics, "gateway_redis_up")).toBe(0);
    // Learned alone while Redis is away: r1 puts alpha in cooldown; r2 cannot know.
    mocks.alpha!.mock.configure({ faults: { fail: { status: 429, times: 1, retryAfterSeconds: 30 } } });
    expect(ok(await postStaged(r1.url, ask, { headers: auth }))).toBe(true);
    expect(await providerState(r1.url, "alpha")).toBe("cooldown");
    expect(await providerState(r2.url, "alpha")).toBe("active");
    const duringCut = results.length;
    await expect.poll(() => results.length).toBeGreaterThan(duringCut + 8);

    proxy.restore();
    for (const r of replicas) await expect.poll(() => health(r.url, KEY), { interval: 50 }).toMatchObject({ status: "ok", redis: "up" });
    // Re-synced: what r1 learned alone is now every replica's.
    for (const r of [r2, r3]) await expect.poll(() => providerState(r.url, "alpha"), { interval: 25 }).toBe("cooldown");
    load = false;
    await workers;
    expect(results.filter((r) => !ok(r))).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
    // Said once per replica, not per failed command.
    for (const r of replicas) expect(r.output().match(/Redis unreachable/g)).toHaveLength(1);
    expect((await fetch(`${r1.url}/metrics`, { headers: auth }).then((x) => x.text())).match(/gateway_redis_up\{[^}]*\} 1/)).not.toBeNull();
  });
});
