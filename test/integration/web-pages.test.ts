import { afterEach, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { DEFAULT_ANSWER_TEXT, startMockUpstream } from "../../mock-upstream/index.js";
import { sha256 } from "../../src/http/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { openRequestLog, type RequestLog } from "../../src/storage/index.js";
import { PAGE_TEST_MS } from "../helpers/bounds.js";
import { DESKTOP, expectClean, horizontalOverflow, PHONE, screenshot, useBrowser } from "../helpers/browser.js";
import { startGateway } from "../helpers/gateway.js";
import { useProviderStack } from "../helpers/providers.js";
import { postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

/**
 * The playground (`/`) and the admin dashboard (`/admin`) in a real headless Chromium, against a
 * real gateway and mock upstreams. One browser per file, a fresh context per test; screenshots of
 * each state at desktop and phone widths go to test-artifacts/.
 */
const browser = useBrowser();
const stack = useStack();
const providerStack = useProviderStack();
const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c.close();
});

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();
const attr = (page: Page, selector: string, name: string) => page.locator(selector).first().getAttribute(name);
const isOpen = (page: Page, selector: string) =>
  page
    .locator(selector)
    .first()
    .evaluate((d) => (d as { open: boolean }).open);

async function ready(page: Page, url: string) {
  await page.goto(url);
  await expect.poll(() => page.inputValue("#model")).not.toBe("");
}

async function ask(page: Page, prompt: string, via: "click" | "keys" = "click") {
  await page.fill("#prompt", prompt);
  if (via === "keys") await page.press("#prompt", "Control+Enter");
  else await page.click("#send");
}

/** Screenshots at both widths, checking the phone layout never scrolls sideways. */
async function bothWidths(page: Page, name: string) {
  await page.setViewportSize(DESKTOP);
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  expect(await horizontalOverflow(page)).toBe(0);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

describe.skipIf(!browser.available)("playground", { timeout: PAGE_TEST_MS }, () => {
  it("holds a conversation: two turns, kept across a reload, cleared by New chat", async () => {
    const { gateway, mock } = await stack({ latency: { promptSummaryMs: 50, reasoningChunkMs: 10, reasoningSummaryMs: 80, answerChunkMs: 10 } });
    const { page, problems } = await browser.open();
    await ready(page, gateway.url);

    // The empty state explains the three stages; the default model is a reasoner, never mock-plain.
    expect(await page.isVisible("#empty-state")).toBe(true);
    expect(await page.locator(".stage-intro li b").allTextContents()).toEqual(["What you asked", "Reasoning", "Answer"]);
    const model = await page.inputValue("#model");
    expect(model).not.toBe("mock-plain");
    expect(model).toMatch(/reason|think|r1/);
    await bothWidths(page, "playground-empty");

    await ask(page, "Why is the sky blue?", "keys");
    await page.waitForSelector("article.turn:nth-child(1)[data-status=done]");
    expect(await page.isVisible("#empty-state")).toBe(false);
    await ask(page, "And why is it red at sunset?");
    await page.waitForSelector("article.turn:nth-child(2)[data-status=done]");
    expect(await page.locator("article.turn .answer > p").allTextContents()).toEqual([DEFAULT_ANSWER_TEXT, DEFAULT_ANSWER_TEXT]);
    // Each finished turn keeps its thinking block folded above its answer.
    for (const n of [1, 2]) {
      expect(await isOpen(page, `article.turn:nth-child(${n}) .stages`)).toBe(false);
      expect(await text(page, `article.turn:nth-child(${n}) .stages-title`)).toMatch(/^Thought for \d+ s/);
      expect(await text(page, `article.turn:nth-child(${n}) .stage-prompt .stage-body`)).not.toBe("");
    }
    // The second request carried the first exchange (the gateway adds its own system message).
    const chats = mock.mock.calls.filter((c) => c.kind === "chat");
    expect(chats).toHaveLength(2);
    const sent = (chats[1]!.body.messages as { role: string; content: string }[]).filter((m) => m.role !== "system");
    expect(sent).toEqual([
      { role: "user", content: "Why is the sky blue?" },
      { role: "assistant", content: DEFAULT_ANSWER_TEXT },
      { role: "user", content: "And why is it red at sunset?" },
    ]);
    await bothWidths(page, "playground-conversation");

    await page.reload();
    await page.waitForSelector("article.turn:nth-child(2)[data-status=done]");
    expect(await page.locator("article.turn .bubble").allTextContents()).toEqual(["Why is the sky blue?", "And why is it red at sunset?"]);
    expect(await page.locator("article.turn .answer > p").allTextContents()).toEqual([DEFAULT_ANSWER_TEXT, DEFAULT_ANSWER_TEXT]);

    await page.click("#new-chat");
    expect(await page.locator("article.turn").count()).toBe(0);
    expect(await page.isVisible("#empty-state")).toBe(true);
    await page.reload();
    await expect.poll(() => page.inputValue("#model")).not.toBe("");
    expect(await page.locator("article.turn").count()).toBe(0);
    expectClean(problems);
  });

  it("Stop marks the answer stopped, and the gateway cancels the upstream call", async () => {
    const { gateway, mock } = await stack({ latency: { reasoningChunkMs: 100 } });
    const { page, problems } = await browser.open();
    await ready(page, gateway.url);
    await ask(page, "Why is the sky blue?");
    await page.waitForSelector(".stage-prompt[data-state=filled]");
    await page.click("#stop");
    await page.waitForSelector("article.turn[data-status=stopped]");
    expect(await text(page, ".marker")).toBe("stopped");
    expect(await text(page, ".answer-block .waiting")).toBe("Not reached: you stopped the request.");
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
    expect(await page.isEnabled("#send")).toBe(true);
    expect(await page.isDisabled("#stop")).toBe(true);
    await bothWidths(page, "playground-stopped-upstream-cancelled");
    expectClean(problems);
  });

  it("a reload mid-answer leaves the turn marked interrupted, not streaming forever", async () => {
    const { gateway } = await stack({ latency: { reasoningChunkMs: 100 } });
    const { page, problems } = await browser.open();
    await ready(page, gateway.url);
    await ask(page, "Why is the sky blue?");
    await page.waitForSelector(".stage-prompt[data-state=filled]");
    await page.reload();
    await page.waitForSelector("article.turn[data-status=interrupted]");
    expect(await text(page, ".marker")).toBe("interrupted");
    expect(await text(page, ".stage-reasoning .waiting")).toBe("Not reached: the page was reloaded while this answer was streaming.");
    expectClean(problems);
  });

  it("an upstream 400 shows the upstream's message, and no stage waits forever", async () => {
    const { gateway } = await stack({ faults: { fail: { status: 400, times: Infinity, target: "stream", message: "context length exceeded" } } });
    const { page, problems } = await browser.open();
    await ready(page, gateway.url);
    await ask(page, "A very long prompt.");
    await page.waitForSelector("article.turn[data-status=failed]");
    // The gateway holds the first byte until the upstream accepts, so the 400 is the HTTP status.
    expect(await text(page, ".turn-error")).toMatch(/context length exceeded/);
    // One error, nothing else: no stage ran, so none is shown waiting or explaining itself.
    expect(await page.locator("[role=alert]:visible").count()).toBe(1);
    expect(await page.locator(".stages").isVisible()).toBe(false);
    expect(await page.locator("article.turn .waiting:visible").count()).toBe(0);
    expect(await page.locator("text=waiting…").count()).toBe(0);
    await bothWidths(page, "playground-upstream-400");
    expectClean(problems, /status of 400/);
  });

  it("without a key: says so where the models should be and in the turn; with the key it works", async () => {
    const { gateway } = await stack({}, { GATEWAY_API_KEYS: "k1" });
    const { page, problems } = await browser.open();
    await page.goto(gateway.url);
    await expect.poll(() => text(page, "#model-note")).toMatch(/needs an API key .*HTTP 401/);
    expect(await attr(page, "#model-note", "data-kind")).toBe("error");
    expect(await isOpen(page, "#settings")).toBe(true);
    await page.fill("#model-custom", "mock-tagged");
    await ask(page, "Hello?");
    await page.waitForSelector("article.turn[data-status=failed]");
    expect(await text(page, ".turn-error")).toMatch(/^HTTP 401: missing API key/);

    await page.fill("#key", "k1");
    await page.dispatchEvent("#key", "change");
    await expect.poll(() => page.locator("#model option").count()).toBeGreaterThan(1);
    expect(await page.isVisible("#model-note")).toBe(false);
    await ask(page, "Hello again?");
    await page.waitForSelector("article.turn:nth-child(2)[data-status=done]");
    expectClean(problems, /status of 401/);
  });
});

describe.skipIf(!browser.available)("admin dashboard", { timeout: PAGE_TEST_MS }, () => {
  async function dashboardStack() {
    const mock = await startMockUpstream({ latency: { promptSummaryMs: 30, reasoningChunkMs: 5, reasoningSummaryMs: 40, answerChunkMs: 5 } });
    const log: RequestLog = await openRequestLog({ dataDir: "memory://", logger: silentLogger(), flushIntervalMs: 50 });
    const keys = [
      { name: "team-a", sha256: sha256("key-team-a"), rpm: undefined, maxConcurrent: undefined },
      { name: "ci", sha256: sha256("key-ci"), rpm: undefined, maxConcurrent: undefined },
    ];
    const gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, UPSTREAM_MAX_RETRIES: "0" }, { requestLog: log, keys });
    closers.push(mock, log, gateway);
    return { mock, log, gateway };
  }

  it("agrees with itself: requests apart from upstream calls, a time series, and a filterable request table with a drill-down", async () => {
    const { mock, log, gateway } = await dashboardStack();
    const ask = (key: string) =>
      postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Why is the sky blue?") }, { headers: { authorization: `Bearer ${key}` } });
    for (const key of ["key-team-a", "key-team-a", "key-ci"]) expect((await ask(key)).status).toBe(200);
    mock.mock.configure({ faults: { fail: { status: 500, times: Infinity, target: "all", message: "engine on fire" } } });
    expect((await ask("key-team-a")).status).toBe(502);
    await log.flush();

    const { page, problems } = await browser.open();
    await page.goto(`${gateway.url}/admin`);
    await page.fill("#password", "key-ci");
    await Promise.all([page.waitForURL(/\/admin$/), page.click("form.login button[type=submit]")]);

    // Headline: requests and their outcomes.
    await expect.poll(() => text(page, "#kpi-requests")).toBe("4");
    expect(await text(page, "#kpi-success")).toBe("75 %");
    expect(await text(page, "#kpi-errors")).toBe("1");
    // Provider rows: requests served beside upstream calls (which include the summary calls).
    const served = Number(await text(page, "tr[data-provider=upstream] td.served"));
    const calls = Number(await text(page, "tr[data-provider=upstream] td.calls"));
    expect(served).toBe(4);
    expect(calls).toBeGreaterThan(served);
    expect(await page.locator("#providers th").allTextContents()).toContain("upstream calls (incl. summaries)");

    // The time series: lines drawn, a legend, and every label inside the drawing.
    await page.waitForSelector("#chart-traffic .s-requests");
    await page.waitForSelector("#chart-latency .s-p95");
    expect(await page.locator("#legend-traffic > span").allTextContents()).toEqual([
      expect.stringMatching(/^requests\/s/),
      expect.stringMatching(/^upstream errors\/s/),
    ]);
    expect(await page.locator("#legend-latency > span").allTextContents()).toEqual([expect.stringMatching(/^p50/), expect.stringMatching(/^p95/)]);
    const clipped = async () =>
      page.evaluate(() => {
        const out: string[] = [];
        for (const svg of (globalThis as any).document.querySelectorAll("svg.chart")) {
          const box = svg.getBoundingClientRect();
          for (const t of svg.querySelectorAll("text")) {
            const r = t.getBoundingClientRect();
            if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
              out.push(`${svg.id}: ${t.textContent}`);
          }
        }
        return out;
      });
    expect(await clipped()).toEqual([]);
    expect(await page.locator("#chart-traffic text").count()).toBeGreaterThan(4);

    // The request table, newest first, with its filters.
    await expect.poll(() => page.locator("#requests-body tr").count()).toBe(4);
    expect(await page.locator("#requests-body tr td:last-child").allTextContents()).toEqual(["team-a", "ci", "team-a", "team-a"]);
    await page.selectOption("#request-filters select[name=status]", "upstream_error");
    await expect.poll(() => page.locator("#requests-body tr").count()).toBe(1);
    expect(await attr(page, "#requests-body tr", "data-outcome")).toBe("upstream_error");
    await page.selectOption("#request-filters select[name=status]", "");
    await expect.poll(() => page.locator("#requests-body tr").count()).toBe(4);
    await page.fill("#request-filters input[name=key_name]", "ci");
    // Poll the rows themselves: the table may still show the previous filter's single row.
    await expect.poll(() => page.locator("#requests-body tr td:last-child").allTextContents()).toEqual(["ci"]);
    await page.fill("#request-filters input[name=key_name]", "nobody");
    await expect.poll(() => text(page, "#requests-empty")).toBe("No requests match these filters.");
    await page.fill("#request-filters input[name=key_name]", "");
    await page.fill("#request-filters input[name=model]", "mock-tagged");
    await expect.poll(() => page.locator("#requests-body tr").count()).toBe(4);
    await page.fill("#request-filters input[name=model]", "mock-plain");
    await expect.poll(() => page.locator("#requests-body tr").count()).toBe(0);
    await page.click("#request-filters button[type=reset]");
    await expect.poll(() => page.locator("#requests-body tr").count()).toBe(4);
    await page.selectOption("#request-filters select[name=provider]", "upstream");
    await expect.poll(() => page.locator("#requests-body tr").count()).toBe(4);

    // Drill-down into the request made with the ci key.
    await page.click("#requests-body tr:nth-child(2)");
    await page.waitForSelector("#request-detail:not([hidden]) .timeline");
    expect(await page.locator("#request-detail .timeline li > .stage-label").allTextContents()).toEqual([
      "prompt summary",
      "upstream first byte",
      "reasoning",
      "reasoning summary",
      "answer",
      "total",
    ]);
    expect(await page.locator("#request-detail .timeline .bar").count()).toBe(6);
    const details = await text(page, "#request-detail");
    expect(details).toContain("upstream by priority");
    expect(details).toContain("ci");
    expect(await page.locator("#request-detail .summary-text").count()).toBe(2);
    await bothWidths(page, "admin-dashboard");

    // The failed request's drill-down shows its error as an error.
    await page.click("#requests-body tr[data-outcome=upstream_error]");
    await expect.poll(() => text(page, "#request-detail .error-text")).toMatch(/engine on fire/);
    await screenshot(page, "admin-request-failed-drilldown-desktop");

    // Signing out ends the session.
    await Promise.all([page.waitForURL(/\/admin$/), page.click("#sign-out")]);
    expect(await page.locator("form.login #password").count()).toBe(1);
    expectClean(problems);
  }, 90_000); // a long walk through the whole page: over 30 s on a busy two-core machine

  it("records strategy changes, resets and cooldowns in the event tail, and shows provider states in colour", async () => {
    const yaml = `
providers:
  - { id: alpha, base_url: "{{url:alpha}}", priority: 1 }
  - { id: beta, base_url: "{{url:beta}}", priority: 2 }
routes:
  - { model: "*", strategy: priority, providers: [alpha, beta] }
health: { consecutive_failures: 1, cooldown_seconds: 60 }`;
    const { gateway } = await providerStack(
      { alpha: { faults: { fail: { status: 429, times: Infinity, target: "all", retryAfterSeconds: 60 } } }, beta: {} },
      yaml,
      { UPSTREAM_MAX_RETRIES: "0" },
    );
    expect((await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Why?") })).status).toBe(200);

    const { page, problems } = await browser.open();
    await page.goto(`${gateway.url}/admin`);
    await page.waitForSelector("tr[data-provider=alpha][data-state=cooldown]");
    const badge = page.locator("tr[data-provider=alpha] .state.cooldown");
    expect(await badge.evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor as string)).toBe("rgb(210, 153, 34)");
    await expect.poll(() => page.locator("#log div[data-type=cooldown]").count()).toBeGreaterThan(0);

    // A pick survives the 2 s poll until it is applied.
    await page.selectOption("#strategy", "round_robin");
    const polled = await text(page, "#updated");
    await expect.poll(() => text(page, "#updated"), { timeout: 5_000 }).not.toBe(polled);
    expect(await page.inputValue("#strategy")).toBe("round_robin");
    await page.click("#apply");
    await expect.poll(() => text(page, "#log div[data-type=strategy]")).toContain("strategy priority → round_robin on every route");
    expect(await text(page, "#strategy-now")).toContain("round_robin");
    await page.click("#reset");
    await expect.poll(() => page.locator("#log div[data-type=reset]").count()).toBe(1);
    await bothWidths(page, "admin-event-tail");
    expectClean(problems);
  });

  it("marks a provider whose answers keep failing their schema, and shows each checked answer in the drill-down", async () => {
    const yaml = `
providers:
  - { id: box, tier: local, base_url: "{{url:box}}", models: { trip-llm: mock-plain } }
  - { id: cloud, tier: cloud, base_url: "{{url:cloud}}", models: { trip-llm: mock-plain } }
routes:
  - { model: "*", strategy: priority, providers: [box, cloud] }`;
    const log: RequestLog = await openRequestLog({ dataDir: "memory://", logger: silentLogger(), flushIntervalMs: 50 });
    closers.push(log);
    const answer = (text: string) => [{ delta: { reasoning_content: "A short trip." } }, { delta: { content: text }, finish_reason: "stop" }];
    const { gateway } = await providerStack(
      { box: { script: answer("Kyoto, I think.") }, cloud: { script: answer('{"city":"Lisbon"}') } },
      yaml,
      {},
      { requestLog: log },
    );
    const body = {
      model: "trip-llm",
      messages: userMessage("Suggest a city."),
      response_format: { type: "json_schema", json_schema: { name: "trip", schema: { type: "object", required: ["city"] } } },
    };
    for (let i = 0; i < 2; i++) expect((await postStaged(gateway.url, body)).status).toBe(200);
    await log.flush();

    const { page, problems } = await browser.open();
    await page.goto(`${gateway.url}/admin`);
    // box: 4 checked answers, all failed; cloud: 2, none failed.
    await expect.poll(() => text(page, "tr[data-provider=box] td.schema")).toBe("4 of 4 (100 %)");
    expect(await attr(page, "tr[data-provider=box] td.schema", "class")).toContain("failing");
    expect(await attr(page, "tr[data-provider=box] td.schema", "title")).toBe("its answers keep failing their response_format schema");
    expect(await text(page, "tr[data-provider=cloud] td.schema")).toBe("0 of 2 (0 %)");
    expect(await attr(page, "tr[data-provider=cloud] td.schema", "class")).not.toContain("failing");
    expect(await page.locator("tr[data-provider=box] td.schema.failing").evaluate((e) => (globalThis as any).getComputedStyle(e).color as string)).toBe(
      "rgb(248, 81, 73)",
    );
    await expect.poll(() => page.locator("#log div[data-type=validation]").count()).toBe(4);

    await expect.poll(() => page.locator("#requests-body tr").count()).toBe(2);
    await page.click("#requests-body tr:nth-child(1)");
    await page.waitForSelector("#request-detail:not([hidden]) .timeline");
    const details = await text(page, "#request-detail");
    expect(details).toContain("schema validationvalid after 3 answers, escalated: box ✗ → box (schema restated) ✗ → cloud ✓");
    await bothWidths(page, "admin-schema-validation");
    expectClean(problems);
  }, 90_000); // two providers, four checked answers and a drill-down: slow on a busy two-core machine

  it("says in words what is empty, shows a failed refresh as an error, and shows replicas only when there are some", async () => {
    const { gateway } = await stack({}, { REQUEST_LOG: "false" });
    const { page, problems } = await browser.open();
    let failStats = false;
    let fleet = false;
    await page.route("**/v1/monitoring/stats", async (route) => {
      if (failStats)
        return route.fulfill({
          status: 503,
          contentType: "application/json",
          body: JSON.stringify({ error: { message: "monitor unavailable", type: "server_error", code: "x" } }),
        });
      const res = await route.fetch();
      const body = await res.json();
      if (fleet) {
        body.redis = "up";
        body.fleet = [
          { id: "gw-a", version: "0.1.0", started_at: new Date(Date.now() - 3_600_000).toISOString(), in_flight: 2, last_seen_ms: 0, self: true },
          { id: "gw-b", version: "0.1.0", started_at: new Date(Date.now() - 120_000).toISOString(), in_flight: 0, last_seen_ms: 4_000, self: false },
        ];
      }
      return route.fulfill({ response: res, json: body });
    });
    await page.goto(`${gateway.url}/admin`);
    await expect.poll(() => text(page, "#requests-empty")).toMatch(/^The request log is off \(REQUEST_LOG=false\)/);
    await expect.poll(() => text(page, "#chart-traffic .empty-msg")).toBe("No requests in the last 15 minutes");
    expect(await text(page, "#log .empty-note")).toMatch(/^No gateway events yet/);
    expect(await page.isVisible("#fleet")).toBe(false);
    expect(await page.isVisible("#sign-out")).toBe(false); // an open gateway has no session to end
    await bothWidths(page, "admin-empty");

    fleet = true;
    await page.waitForSelector("#fleet-body tr[data-replica=gw-a]");
    expect(await page.locator("#fleet-body tr td").allTextContents()).toEqual([
      "gw-a",
      "0.1.0",
      "1 h ago",
      "2",
      "this replica",
      "gw-b",
      "0.1.0",
      "2 min ago",
      "0",
      expect.stringMatching(/^\d+ s ago$/),
    ]);
    await screenshot(page, "admin-fleet-desktop");

    failStats = true;
    await page.waitForSelector("#admin-error:not([hidden])");
    expect(await text(page, "#admin-error")).toMatch(/^Could not refresh: \/v1\/monitoring\/stats: monitor unavailable \(HTTP 503\)/);
    expect(await page.locator("#admin-error").evaluate((e) => (globalThis as any).getComputedStyle(e).color as string)).toBe("rgb(255, 180, 174)");
    await screenshot(page, "admin-refresh-error-desktop");
    failStats = false;
    await page.waitForSelector("#admin-error", { state: "hidden" });
    expectClean(problems, /status of 503/);
  });

  it("asks for the admin password, sets a strict HttpOnly session cookie, and signs out", async () => {
    const { gateway } = await stack({}, { ADMIN_TOKEN: "admin-token-0123456789abcdef", ADMIN_PASSWORD: "pw" });
    const { page, context, problems } = await browser.open();
    await page.goto(`${gateway.url}/admin`);
    expect(await page.locator("form.login #password").count()).toBe(1);
    expect(await page.locator("#providers-body").count()).toBe(0);

    await page.fill("#password", "wrong");
    await Promise.all([page.waitForURL(/\/admin\?error=1$/), page.click("form.login button[type=submit]")]);
    expect(await text(page, "form.login .error-text")).toContain("did not match");
    expect(await context.cookies()).toEqual([]);
    await screenshot(page, "admin-login-failed-desktop");

    await page.fill("#password", "pw");
    await Promise.all([page.waitForURL(/\/admin$/), page.click("form.login button[type=submit]")]);
    await page.waitForSelector("#providers-body tr[data-provider]");
    expect(await text(page, "#updated")).toMatch(/^Updated /);
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: "gw_admin", httpOnly: true, sameSite: "Strict", path: "/" });

    await Promise.all([page.waitForURL(/\/admin$/), page.click("#sign-out")]);
    expect(await page.locator("form.login #password").count()).toBe(1);
    expect(await context.cookies()).toEqual([]);
    expectClean(problems);
  });
});
