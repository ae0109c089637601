import { describe, expect, it } from "vitest";
import type { ScriptedChunk } from "../../mock-upstream/script.js";
import { expectClean, useBrowser } from "../helpers/browser.js";
import { sample } from "../helpers/prom.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { first, postStaged, userMessage } from "../helpers/sse.js";

/*
 * Cloud-only mode over real sockets: a local provider whose JSON answers keep failing their schema
 * stops getting JSON requests (other requests still go there), says so in /v1/providers, /metrics,
 * the event tail and the dashboard, and takes JSON requests again once one of its answers validates.
 */

const stack = useProviderStack();
const browser = useBrowser();

const answer = (text: string): ScriptedChunk[] => [
  { delta: { role: "assistant", reasoning_content: "A short trip." } },
  { delta: { content: text.slice(0, 4) } },
  { delta: { content: text.slice(4) }, finish_reason: "stop" },
];
const PROSE = "Kyoto, I think.";
const VALID = '{"city":"Lisbon"}';
const HEALTH = "health: { schema_failure_rate: 0.5, schema_min_requests: 2, schema_window_seconds: 1 }\n";
const yaml = (health = HEALTH) => `
providers:
  - { id: box, tier: local, base_url: "{{url:box}}", models: { "*": mock-plain } }
  - { id: cloud, tier: cloud, base_url: "{{url:cloud}}", models: { "*": mock-plain } }
routes:
  - { model: "*", strategy: priority, providers: [box, cloud] }
${health}`;

/** Short prompts are routine: without cloud-only mode the local box is always asked first. */
const json = {
  model: "trip-llm",
  messages: userMessage("Suggest a city."),
  response_format: { type: "json_schema", json_schema: { name: "trip", schema: { type: "object", required: ["city"] } } },
};
const plain = { model: "trip-llm", messages: userMessage("Suggest a city.") };

type ProviderJson = { id: string; json: { skipped: boolean; checked: number; failed: number; retry_in_ms: number } };
const providers = async (url: string) => ((await (await fetch(`${url}/v1/providers`)).json()) as { providers: ProviderJson[] }).providers;
const box = async (url: string) => (await providers(url)).find((p) => p.id === "box");

describe("cloud-only mode for JSON requests", () => {
  it("with the default settings, a local provider failing every schema stops getting JSON requests; plain requests still go to it", async () => {
    const s = await stack({ box: { script: answer(PROSE) }, cloud: { script: answer(VALID) } }, yaml(""));
    // Each JSON request asks box twice (the answer and its constrained retry), both invalid, then the cloud.
    for (let i = 0; i < 3; i++) {
      const r = await postStaged(s.gateway.url, json);
      expect(first(r, "output.done").data.validation).toMatchObject({ valid: true, attempts: 3, escalated: true });
    }
    // The fifth failed check (schema_min_requests: 5) passed the rate: box is skipped from now on.
    expect(chatCalls(s.mocks.box!)).toHaveLength(6);
    for (let i = 0; i < 3; i++) {
      const r = await postStaged(s.gateway.url, json);
      expect(first(r, "output.done").data).toMatchObject({
        validation: { valid: true, attempts: 1 },
        route: {
          provider: "cloud",
          reason: "routine (short prompt without code or multi-step wording); JSON skips box (its answers keep failing their schema)",
        },
      });
    }
    expect(chatCalls(s.mocks.box!)).toHaveLength(6);
    // A request that asks for no JSON is not affected.
    const other = await postStaged(s.gateway.url, plain);
    expect(first(other, "output.done").data.route).toMatchObject({ provider: "box" });

    expect(await box(s.gateway.url)).toMatchObject({ json: { skipped: true, checked: 6, failed: 6 } });
    const metrics = await (await fetch(`${s.gateway.url}/metrics`)).text();
    expect(sample(metrics, "gateway_provider_json_skipped", { provider: "box" })).toBe(1);
    expect(sample(metrics, "gateway_provider_json_skipped", { provider: "cloud" })).toBe(0);
    const events = ((await (await fetch(`${s.gateway.url}/v1/monitoring/logs`)).json()) as { events: { type: string; level: string; message: string }[] })
      .events;
    expect(events.filter((e) => e.type === "json_skip")).toEqual([
      expect.objectContaining({ level: "warn", message: "box: JSON requests skip it (5 of its last 5 JSON answers failed their schema (over 300 s))" }),
    ]);
  });

  it("recovers: after a window one JSON request tries it again, and a valid answer brings it back", async () => {
    // box: two invalid answers, then valid ones.
    const s = await stack({ box: { scripts: [answer(PROSE), answer(PROSE), answer(VALID)], script: answer(VALID) }, cloud: { script: answer(VALID) } }, yaml());
    await postStaged(s.gateway.url, json);
    expect((await box(s.gateway.url))?.json.skipped).toBe(true);
    const skipped = await postStaged(s.gateway.url, json);
    expect(first(skipped, "output.done").data.route).toMatchObject({ provider: "cloud" });
    expect(chatCalls(s.mocks.box!)).toHaveLength(2);
    // Each poll is one more JSON request; the first one after the window is the probe.
    await expect
      .poll(
        async () => {
          const r = await postStaged(s.gateway.url, json);
          return (first(r, "output.done").data.route as { provider: string }).provider;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe("box");
    expect(chatCalls(s.mocks.box!)).toHaveLength(3);
    expect(await box(s.gateway.url)).toMatchObject({ json: { skipped: false, checked: 1, failed: 0 } });
    expect(sample(await (await fetch(`${s.gateway.url}/metrics`)).text(), "gateway_provider_json_skipped", { provider: "box" })).toBe(0);
    // It is first again for the next JSON request.
    const back = await postStaged(s.gateway.url, json);
    expect(first(back, "output.done").data.route).toMatchObject({
      provider: "box",
      reason: "routine (short prompt without code or multi-step wording) → local first",
    });
  });

  describe.skipIf(!browser.available)("on the dashboard", () => {
    it("the providers table marks the skipped provider", async () => {
      const s = await stack({ box: { script: answer(PROSE) }, cloud: { script: answer(VALID) } }, yaml("health: { schema_min_requests: 2 }\n"));
      await postStaged(s.gateway.url, json);
      const { page, problems } = await browser.open();
      await page.goto(`${s.gateway.url}/admin`);
      await page.waitForSelector("tr[data-provider=box][data-json=skipped]");
      expect(await page.locator("tr[data-provider=box] td.schema").textContent()).toBe("2 of 2 (100 %) · JSON skipped");
      expect(await page.locator("tr[data-provider=box] td.schema").getAttribute("title")).toMatch(
        /^JSON requests skip this provider: its answers kept failing their schema; one JSON request tries it again in \d+ s$/,
      );
      expect(await page.locator("tr[data-provider=cloud]").getAttribute("data-json")).toBe("taken");
      await expect.poll(() => page.locator("#log div[data-type=json_skip]").count()).toBe(1);
      expectClean(problems);
    });
  });
});
