import { describe, expect, it } from "vitest";
import { answerOf, first, names, postStaged, stagedOrder, userMessage } from "../helpers/sse.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";

const stack = useProviderStack();
const ORDER = ["summary.prompt", "summary.reasoning", "output.delta", "output.done"];
const ask = { model: "reasoning-llm", messages: userMessage("What is the boiling point of water at sea level?") };

const twoProviders = (strategy = "priority", health = "") => `
providers:
  - { id: alpha, base_url: "{{url:alpha}}", priority: 1, models: { reasoning-llm: mock-tagged } }
  - { id: beta, base_url: "{{url:beta}}", priority: 2, models: { reasoning-llm: mock-reasoning_content } }
routes:
  - { model: "*", strategy: ${strategy}, providers: [alpha, beta] }
${health}`;

describe("failover", () => {
  it("moves to the next provider on 5xx and reports the route", async () => {
    const { gateway, mocks } = await stack({ alpha: { faults: { fail: { status: 503, times: Infinity, target: "all" } } }, beta: {} }, twoProviders());
    const r = await postStaged(gateway.url, ask);
    expect(stagedOrder(r)).toEqual(ORDER);
    expect(names(r)).not.toContain("error");
    expect(first(r, "output.done").data.route).toMatchObject({ provider: "beta", strategy: "priority", attempts: 2 });
    expect(chatCalls(mocks.alpha!)).toHaveLength(1);
    // beta knows the public model by its own name.
    expect(chatCalls(mocks.beta!)[0]!.model).toBe("mock-reasoning_content");
    // Non-streamed, the provider is known before the answer is sent: it is in the header.
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...ask, stream: false }),
    });
    expect(res.headers.get("x-gateway-provider")).toBe("beta");
  });

  it("names the provider in x-gateway-provider when it answered before the stream began", async () => {
    const { gateway } = await stack({ alpha: { latency: { promptSummaryMs: 300 } }, beta: {} }, twoProviders());
    const r = await postStaged(gateway.url, ask);
    expect(r.headers.get("x-gateway-provider")).toBe("alpha");
  });

  it("replaces a provider that breaks during reasoning without the client seeing it", async () => {
    const { gateway, mocks } = await stack(
      { alpha: { faults: { dropAfterChunks: 4 }, latency: { reasoningChunkMs: 10 } }, beta: { answerText: "Beta's answer." } },
      twoProviders(),
    );
    const r = await postStaged(gateway.url, ask);
    expect(stagedOrder(r)).toEqual(ORDER);
    expect(names(r)).not.toContain("error");
    expect(answerOf(r)).toBe("Beta's answer.");
    expect(first(r, "output.done").data.route).toMatchObject({ provider: "beta" });
    expect(chatCalls(mocks.alpha!)[0]!.outcome).toBe("dropped");
  });

  it("never switches once output.delta was sent: the failure is an error event", async () => {
    const answerText = Array.from({ length: 12 }, (_, i) => `Sentence ${i} of the answer.`).join(" ");
    const { gateway, mocks } = await stack(
      { alpha: { reasoningText: "Short thought.", answerText, faults: { dropAfterChunks: 12 }, latency: { answerChunkMs: 40 } }, beta: {} },
      twoProviders(),
    );
    const r = await postStaged(gateway.url, ask);
    const n = names(r);
    expect(n).toContain("output.delta");
    expect(r.events.at(-1)).toMatchObject({ event: "error", data: { stage: "upstream" } });
    expect(n.indexOf("output.delta")).toBeLessThan(n.lastIndexOf("error"));
    expect(n).not.toContain("output.done");
    expect(chatCalls(mocks.beta!)).toHaveLength(0);
  });

  it("does not fail over on the request's own 4xx", async () => {
    const { gateway, mocks } = await stack(
      { alpha: { latency: { promptSummaryMs: 1000 }, faults: { fail: { status: 400, times: Infinity, message: "bad temperature" } } }, beta: {} },
      twoProviders(),
    );
    const r = await postStaged(gateway.url, ask);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { message: "bad temperature" } });
    expect(chatCalls(mocks.beta!)).toHaveLength(0);
  });
});

describe("health", () => {
  it("a 429 puts the provider into cooldown for Retry-After, then it serves again", async () => {
    const { gateway, mocks } = await stack({ alpha: { faults: { fail: { status: 429, times: 1, retryAfterSeconds: 1 } } }, beta: {} }, twoProviders());
    const r1 = await postStaged(gateway.url, ask);
    expect(first(r1, "output.done").data.route).toMatchObject({ provider: "beta" });
    const list = (await (await fetch(`${gateway.url}/v1/providers`)).json()) as { providers: { id: string; state: string; cooldown_remaining_ms: number }[] };
    const alpha = list.providers.find((p) => p.id === "alpha")!;
    expect(alpha.state).toBe("cooldown");
    expect(alpha.cooldown_remaining_ms).toBeGreaterThan(0);
    expect(alpha.cooldown_remaining_ms).toBeLessThanOrEqual(1000);
    const r2 = await postStaged(gateway.url, ask);
    expect(first(r2, "output.done").data.route).toMatchObject({ provider: "beta" });
    expect(chatCalls(mocks.alpha!)).toHaveLength(1); // not tried while cooling down
    await new Promise((r) => setTimeout(r, 1100));
    const r3 = await postStaged(gateway.url, ask);
    expect(first(r3, "output.done").data.route).toMatchObject({ provider: "alpha" });
  });

  it("opens the circuit after consecutive failures, then recovers through one half-open probe", async () => {
    // Summaries go to beta, so alpha's only calls are the streams that fail.
    const health = "summary_route: { providers: [beta] }\nhealth: { consecutive_failures: 2, cooldown_seconds: 0.5, max_open_seconds: 2 }";
    const { gateway, mocks } = await stack(
      { alpha: { faults: { fail: { status: 500, times: 2, target: "stream" } } }, beta: {} },
      twoProviders("priority", health),
      {
        UPSTREAM_MAX_RETRIES: "0",
      },
    );
    for (let i = 0; i < 2; i++) expect(first(await postStaged(gateway.url, ask), "output.done").data.route).toMatchObject({ provider: "beta" });
    const state = async () =>
      ((await (await fetch(`${gateway.url}/v1/providers`)).json()) as { providers: { id: string; state: string }[] }).providers.find((p) => p.id === "alpha")!
        .state;
    expect(await state()).toBe("open");
    await postStaged(gateway.url, ask);
    expect(chatCalls(mocks.alpha!)).toHaveLength(2); // open: skipped
    await new Promise((r) => setTimeout(r, 600));
    expect(await state()).toBe("half_open");
    const probe = await postStaged(gateway.url, ask);
    expect(first(probe, "output.done").data.route).toMatchObject({ provider: "alpha" });
    expect(await state()).toBe("active");
  });

  it("answers 503 with Retry-After when every provider is cooling down", async () => {
    const yaml = `
providers:
  - { id: alpha, base_url: "{{url:alpha}}" }
routes:
  - { model: "*", providers: [alpha] }`;
    const { gateway } = await stack(
      { alpha: { latency: { promptSummaryMs: 500 }, faults: { fail: { status: 429, times: Infinity, retryAfterSeconds: 5 } } } },
      yaml,
      { UPSTREAM_MAX_RETRIES: "0" },
    );
    await postStaged(gateway.url, ask);
    const r = await postStaged(gateway.url, ask);
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ error: { code: "no_provider_available" } });
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("local fallback and task routing", () => {
  const yaml = `
providers:
  - { id: cloud-a, base_url: "{{url:cloud-a}}", tier: cloud }
  - { id: cloud-b, base_url: "{{url:cloud-b}}", tier: cloud }
  - { id: local, base_url: "{{url:local}}", tier: local }
routes:
  - { model: "*", strategy: priority, providers: [cloud-a, cloud-b, local] }
summary_route: { strategy: priority, providers: [local] }
health: { consecutive_failures: 1, cooldown_seconds: 30 }`;
  const down = { faults: { fail: { status: 503, times: Infinity, target: "stream" as const } } };

  it("uses local providers when every cloud provider is down, and says so", async () => {
    const { gateway } = await stack({ "cloud-a": down, "cloud-b": down, local: {} }, yaml, { UPSTREAM_MAX_RETRIES: "0" });
    const complex = { ...ask, messages: userMessage("Compare three sorting algorithms step by step and analyse their trade-offs.") };
    const r1 = await postStaged(gateway.url, complex);
    expect(first(r1, "output.done").data.route).toMatchObject({ provider: "local" });
    const r2 = await postStaged(gateway.url, complex);
    expect(first(r2, "output.done").data.route).toMatchObject({ provider: "local", reason: expect.stringContaining("local fallback") });
  });

  it("sends routine work local first and complex work to the cloud, with the classifier's reason", async () => {
    const { gateway, mocks } = await stack({ "cloud-a": {}, "cloud-b": {}, local: {} }, yaml);
    const routine = await postStaged(gateway.url, { ...ask, messages: userMessage("Hi! What's the capital of Italy?") });
    expect(first(routine, "output.done").data.route).toMatchObject({ provider: "local", reason: expect.stringMatching(/^routine/) });
    const complex = await postStaged(gateway.url, ask, { headers: { "x-task-category": "complex" } });
    expect(first(complex, "output.done").data.route).toMatchObject({ provider: "cloud-a", reason: expect.stringContaining("explicit") });
    const meta = await postStaged(gateway.url, { ...ask, metadata: { category: "routine" } });
    expect(first(meta, "output.done").data.route).toMatchObject({ provider: "local" });
    // Summaries follow summary_route: all of them on the local box.
    expect(mocks["cloud-a"]!.mock.calls.filter((c) => c.kind !== "chat")).toHaveLength(0);
    expect(mocks.local!.mock.calls.filter((c) => c.kind !== "chat").length).toBe(6);
  });
});

describe("provider endpoints", () => {
  it("lists providers, switches strategy at run time and resets", async () => {
    const { gateway } = await stack({ alpha: {}, beta: {} }, twoProviders());
    const served = async () => String((first(await postStaged(gateway.url, ask), "output.done").data.route as { provider: string }).provider);
    expect([await served(), await served()]).toEqual(["alpha", "alpha"]);
    const sw = await fetch(`${gateway.url}/v1/providers/strategy/round_robin`, { method: "POST" });
    expect(sw.status).toBe(200);
    const next = [await served(), await served(), await served(), await served()];
    expect(new Set(next)).toEqual(new Set(["alpha", "beta"]));
    expect(next[0]).not.toBe(next[1]);
    const bad = await fetch(`${gateway.url}/v1/providers/strategy/fastest`, { method: "POST" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "unknown_strategy" } });
    const list = (await (await fetch(`${gateway.url}/v1/providers`)).json()) as { providers: Record<string, unknown>[]; routes: { strategy: string }[] };
    expect(list.routes[0]!.strategy).toBe("round_robin");
    expect(list.providers[0]).toMatchObject({
      id: "alpha",
      state: "active",
      in_flight: 0,
      requests: expect.any(Number),
      success_rate: 1,
      latency_ewma_ms: expect.any(Number),
      cooldown_remaining_ms: 0,
    });
    expect((await fetch(`${gateway.url}/v1/providers/reset`, { method: "POST" })).status).toBe(200);
    const after = (await (await fetch(`${gateway.url}/v1/providers`)).json()) as { providers: { requests: number }[]; routes: { strategy: string }[] };
    expect(after.routes[0]!.strategy).toBe("priority");
    expect(after.providers[0]!.requests).toBe(0);
  });
});
