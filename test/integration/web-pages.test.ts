import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { DEFAULT_ANSWER_TEXT } from "../../mock-upstream/index.js";
import { useBrowser, type PageProblems } from "../helpers/browser.js";
import { useProviderStack } from "../helpers/providers.js";
import { postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

/**
 * The playground (`/`) and the admin dashboard (`/admin`) in a real headless Chromium, against a
 * real gateway and mock upstreams. One browser per file, a fresh context per test.
 */
const browser = useBrowser();
const stack = useStack();
const providerStack = useProviderStack();

const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const screenshot = async (page: Page, name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}`, fullPage: true });
};

const text = (page: Page, selector: string) => page.locator(selector).textContent();
const attr = (page: Page, selector: string, name: string) => page.locator(selector).getAttribute(name);
const waitStatus = (page: Page, status: string | RegExp, timeout = 10_000) =>
  expect.poll(() => text(page, "#status"), { timeout }).toMatch(typeof status === "string" ? new RegExp(`^${status}$`) : status);

async function ask(page: Page, opts: { model?: string; prompt?: string; key?: string } = {}) {
  await page.fill("#model", opts.model ?? "mock-tagged");
  await page.fill("#prompt", opts.prompt ?? "Why is the sky blue, and not violet?");
  if (opts.key !== undefined) await page.fill("#key", opts.key);
  await page.click("#send");
}

/** Nothing went wrong in the page; `allow` names console errors that the test caused on purpose. */
function expectClean(problems: PageProblems, allow?: RegExp) {
  expect(problems.cspViolations).toEqual([]);
  expect(problems.pageErrors).toEqual([]);
  expect(problems.consoleErrors.filter((m) => !allow?.test(m))).toEqual([]);
}

describe.skipIf(!browser.available)("playground", () => {
  it("shows the three stages in order, streaming the answer", async () => {
    const { gateway } = await stack({ latency: { promptSummaryMs: 100, reasoningChunkMs: 30, reasoningSummaryMs: 200, answerChunkMs: 40 } });
    const { page, problems } = await browser.open();
    await page.goto(gateway.url);
    await ask(page);
    await waitStatus(page, "done");

    const filledAt = async (id: string) => Number(await attr(page, `#${id}`, "data-filled-at"));
    const [prompt, reasoning, answer] = [await filledAt("panel-prompt"), await filledAt("panel-reasoning"), await filledAt("panel-answer")];
    expect(prompt).toBeGreaterThan(0);
    expect(prompt).toBeLessThanOrEqual(reasoning);
    expect(reasoning).toBeLessThanOrEqual(answer);
    for (const id of ["panel-prompt", "panel-reasoning", "panel-answer"]) expect(await attr(page, `#${id}`, "data-state")).toBe("filled");
    expect(Number(await attr(page, "#panel-answer", "data-chunks"))).toBeGreaterThan(3);
    expect(await text(page, "#panel-answer .body")).toBe(DEFAULT_ANSWER_TEXT);
    expect((await text(page, "#panel-prompt .body"))!.length).toBeGreaterThan(0);
    expect((await text(page, "#panel-reasoning .body"))!.length).toBeGreaterThan(0);
    expect(await text(page, "#timings")).toMatch(/prompt summary \d+ ms .*total \d+ ms/);
    expect(await page.isEnabled("#send")).toBe(true);
    expect(await page.isDisabled("#stop")).toBe(true);
    await screenshot(page, "playground.png");
    expectClean(problems);
  });

  it("Stop cancels the request, and the gateway cancels the upstream call", async () => {
    const { gateway, mock } = await stack({ latency: { reasoningChunkMs: 100 } });
    const { page, problems } = await browser.open();
    await page.goto(gateway.url);
    await ask(page);
    await page.waitForSelector("#panel-prompt[data-state=filled]");
    expect(await attr(page, "#panel-answer", "data-state")).toBe("waiting");
    await page.click("#stop");
    await waitStatus(page, "stopped");
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
    expect(await page.isEnabled("#send")).toBe(true);
    expectClean(problems);
  });

  it("shows a failed summary in place: the fallback tag and the error", async () => {
    const { gateway } = await stack({ faults: { fail: { status: 500, times: Infinity, target: "prompt_summary" } } }, { UPSTREAM_MAX_RETRIES: "0" });
    const { page, problems } = await browser.open();
    await page.goto(gateway.url);
    await ask(page);
    await waitStatus(page, "done");
    expect(await text(page, "#panel-prompt .tag")).toBe("fallback");
    expect(await text(page, "#panel-prompt .err")).toMatch(/^prompt_summary: .+\(.+\)$/);
    expect(await attr(page, "#panel-prompt", "data-state")).toBe("filled");
    expect(await text(page, "#panel-answer .body")).toBe(DEFAULT_ANSWER_TEXT);
    expect(await text(page, "#panel-answer .err")).toBe("");
    expectClean(problems);
  });

  it("shows HTTP 401 in the answer panel without a key, and works with it", async () => {
    const { gateway } = await stack({}, { GATEWAY_API_KEYS: "k1" });
    const { page, problems } = await browser.open();
    await page.goto(gateway.url);
    await ask(page);
    await waitStatus(page, "failed");
    expect(await text(page, "#panel-answer .err")).toMatch(/^HTTP 401: /);
    expect(await attr(page, "#panel-answer", "data-state")).toBe("error");

    await ask(page, { key: "k1" });
    await waitStatus(page, "done");
    expect(await text(page, "#panel-answer .err")).toBe("");
    expect(await text(page, "#panel-answer .body")).toBe(DEFAULT_ANSWER_TEXT);
    // The only console errors are the 401s this test asked for (the model list and the first ask).
    expect(problems.consoleErrors.length).toBeGreaterThan(0);
    expectClean(problems, /status of 401/);
  });
});

describe.skipIf(!browser.available)("admin dashboard", () => {
  const yaml = `
providers:
  - { id: alpha, base_url: "{{url:alpha}}", priority: 1 }
  - { id: beta, base_url: "{{url:beta}}", priority: 2 }
routes:
  - { model: "*", strategy: priority, providers: [alpha, beta] }
health: { consecutive_failures: 1, cooldown_seconds: 60 }`;

  it("shows provider states and the event log, and switches the strategy", async () => {
    const { gateway } = await providerStack({ alpha: { faults: { fail: { status: 503, times: Infinity, target: "all" } } }, beta: {} }, yaml, {
      UPSTREAM_MAX_RETRIES: "0",
    });
    for (let i = 0; i < 2; i++) {
      const r = await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Why is the sky blue?") });
      expect(r.status).toBe(200);
    }
    const listing = async () => (await (await fetch(`${gateway.url}/v1/providers`)).json()) as { providers: { id: string; state: string }[]; routes: { strategy: string }[] };
    expect((await listing()).providers.find((p) => p.id === "alpha")!.state).toBe("open");

    const { page, problems } = await browser.open();
    await page.goto(`${gateway.url}/admin`);
    await page.waitForSelector("tr[data-provider=alpha][data-state=open]");
    await page.waitForSelector("tr[data-provider=beta][data-state=active]");
    const badge = page.locator("tr[data-provider=alpha] .state.open");
    expect(await badge.textContent()).toBe("open");
    expect(await badge.evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor as string)).toBe("rgb(248, 81, 73)");
    expect(await text(page, "#kpi-requests")).toMatch(/^\d+$/);
    await expect.poll(() => page.locator("#log > div").count()).toBeGreaterThan(0);
    expect(await text(page, "#log")).toContain("alpha");

    // A pick survives the 2 s poll until it is applied (the select is not focused after selectOption).
    await page.selectOption("#strategy", "round_robin");
    const polled = await text(page, "#updated");
    await expect.poll(() => text(page, "#updated"), { timeout: 5_000 }).not.toBe(polled);
    expect(await page.inputValue("#strategy")).toBe("round_robin");
    expect((await listing()).routes[0]!.strategy).toBe("priority");
    await page.click("#apply");
    await expect.poll(async () => (await listing()).routes[0]!.strategy, { timeout: 5_000 }).toBe("round_robin");
    await expect.poll(() => text(page, "#strategy-now"), { timeout: 5_000 }).toContain("round_robin");
    expect(await page.inputValue("#strategy")).toBe("round_robin");
    await screenshot(page, "admin.png");
    expectClean(problems);
  });

  it("asks for the admin password and sets a strict, HttpOnly session cookie", async () => {
    const { gateway } = await stack({}, { ADMIN_TOKEN: "admin-token-0123456789abcdef", ADMIN_PASSWORD: "pw" });
    const { page, context, problems } = await browser.open();
    await page.goto(`${gateway.url}/admin`);
    expect(await page.locator("form.login #password").count()).toBe(1);
    expect(await page.locator("#providers-body").count()).toBe(0);

    await page.fill("#password", "wrong");
    await Promise.all([page.waitForURL(/\/admin\?error=1$/), page.click("form.login button[type=submit]")]);
    expect(await text(page, "form.login .err")).toContain("did not match");
    expect(await context.cookies()).toEqual([]);

    await page.fill("#password", "pw");
    await Promise.all([page.waitForURL(/\/admin$/), page.click("form.login button[type=submit]")]);
    await page.waitForSelector("#providers-body tr[data-provider]");
    expect(await text(page, "#updated")).toMatch(/^updated /);
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: "gw_admin", httpOnly: true, sameSite: "Strict", path: "/" });
    expectClean(problems);
  });
});

describe.skipIf(!browser.available)("content security policy", () => {
  it("neither page violates the CSP or logs an error", async () => {
    const { gateway } = await stack();
    const { page, problems } = await browser.open();
    await page.goto(gateway.url);
    await ask(page);
    await waitStatus(page, "done");
    await page.goto(`${gateway.url}/admin`);
    await page.waitForSelector("#providers-body tr[data-provider]");
    // Bars (CSSOM widths), the SVG chart and the log are drawn, and a second poll has run.
    await page.waitForSelector("#load-body .bar");
    await page.waitForSelector("#latency rect");
    const first = await text(page, "#updated");
    await expect.poll(() => text(page, "#updated"), { timeout: 5_000 }).not.toBe(first);
    expectClean(problems);
  });
});
