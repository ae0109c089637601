import { afterEach, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { openRequestLog } from "../../src/storage/index.js";
import { DESKTOP, expectAccessible, expectClean, PHONE, screenshot, useBrowser } from "../helpers/browser.js";
import { startGateway } from "../helpers/gateway.js";
import { ev, useScriptedGateway } from "../helpers/scripted-gateway.js";
import { postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

/**
 * axe-core on every page — the playground in each of its states, the dashboard with a request's
 * drill-down open, the login form — in both themes: zero critical or serious violations (before
 * this, a critical aria-required-children on the dashboard's stage timeline and serious contrast
 * failures on both pages). Each state is photographed at 1280 and 390 wide in test-artifacts/.
 */
const browser = useBrowser();
const scripted = useScriptedGateway();
const stack = useStack();
const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c.close();
});

const SCHEMES = ["dark", "light"] as const;

/** axe at both widths (layouts differ), with a screenshot of each. Each run of axe takes a second or two, hence the longer test timeouts below. */
async function checkBothWidths(page: Page, name: string) {
  for (const [size, width] of [
    [DESKTOP, "desktop"],
    [PHONE, "phone"],
  ] as const) {
    await page.setViewportSize(size);
    await expectAccessible(page, `${name} (${width})`);
    await screenshot(page, `${name}-${width}`);
  }
  await page.setViewportSize(DESKTOP);
}

const CODE_ANSWER =
  'Compare the string with its reverse:\n\n```ts\nconst isPalindrome = (s: string): boolean => s === [...s].reverse().join("");\n```\n\n> Works for ASCII; use `Intl.Segmenter` for graphemes.';

describe.skipIf(!browser.available)("accessibility: the playground", () => {
  it.each(SCHEMES)(
    "has no critical or serious axe violations in any state (%s theme)",
    async (scheme) => {
      const gw = await scripted((_b, n) =>
        n === 1
          ? {
              steps: [
                { event: ev.prompt("A palindrome check in TypeScript.") },
                { event: ev.progress(0, "**Reversing**: comparing the string with its reverse.") },
                { event: ev.error("reasoning_summary", "summary model timed out", "timeout") },
                { event: ev.reasoning("- Reverse and compare.", "fallback") },
                { event: ev.delta(CODE_ANSWER) },
                { event: ev.done() },
              ],
            }
          : n === 2
            ? { status: 502, json: { error: { message: "upstream down", type: "upstream_error", code: "upstream_error" } } }
            : { steps: [{ event: ev.prompt("Thinking about it.") }, { event: ev.progress(0, "**Working**: still going.") }, { hang: true }] },
      );
      const { page, problems } = await browser.open({ scheme });
      await page.goto(gw.url);
      await expect.poll(() => page.inputValue("#model")).not.toBe("");
      await checkBothWidths(page, `playground-a11y-first-visit-${scheme}`);

      await page.fill("#prompt", "Write a palindrome check.");
      await page.press("#prompt", "Enter");
      await page.waitForSelector("article.turn[data-status=done]");
      await page.click(".stages-title"); // the folded thinking block, opened: its notes and fallback note too
      await checkBothWidths(page, `playground-a11y-answer-with-code-and-thinking-open-${scheme}`);

      await page.fill("#prompt", "And in Python?");
      await page.press("#prompt", "Enter");
      await page.waitForSelector("article.turn:nth-child(2)[data-status=failed]");
      await checkBothWidths(page, `playground-a11y-failed-turn-${scheme}`);

      await page.click("article.turn:nth-child(2) .retry");
      await page.waitForSelector("article.turn:nth-child(2) .progress li");
      await checkBothWidths(page, `playground-a11y-thinking-live-${scheme}`);
      await page.keyboard.press("Escape");
      await page.waitForSelector("article.turn:nth-child(2)[data-status=stopped]");

      await page.setViewportSize(PHONE);
      await page.click("#sidebar-toggle");
      await expectAccessible(page, "the conversation drawer (phone)");
      await screenshot(page, `playground-a11y-conversation-drawer-${scheme}-phone`);
      expectClean(problems, /status of 502/);
    },
    90_000,
  );
});

describe.skipIf(!browser.available)("accessibility: the dashboard and its login", () => {
  it.each(SCHEMES)(
    "the dashboard with a request's drill-down open: no critical or serious violations (%s theme)",
    async (scheme) => {
      const mock = await startMockUpstream({ latency: { promptSummaryMs: 20, reasoningChunkMs: 5, reasoningSummaryMs: 20, answerChunkMs: 5 } });
      const log = await openRequestLog({ dataDir: "memory://", logger: silentLogger(), flushIntervalMs: 50 });
      const gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, UPSTREAM_MAX_RETRIES: "0" }, { requestLog: log });
      closers.push(mock, log, gateway);
      expect((await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Why is the sky blue?") })).status).toBe(200);
      mock.mock.configure({ faults: { fail: { status: 500, times: Infinity, target: "all", message: "engine on fire" } } });
      expect((await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Again?") })).status).toBe(502);
      await log.flush();

      const { page, problems } = await browser.open({ scheme });
      await page.goto(`${gateway.url}/admin`);
      await expect.poll(() => page.locator("#requests-body tr").count()).toBe(2);
      await page.waitForSelector("#chart-traffic .s-requests");
      await page.click("#requests-body tr[data-outcome=ok]");
      await page.waitForSelector("#request-detail:not([hidden]) .timeline li");
      // The timeline that axe found critical (a list without list items) is a real list now.
      expect(await page.locator("#request-detail .timeline > li").count()).toBe(6);
      await checkBothWidths(page, `admin-a11y-drilldown-${scheme}`);
      await page.click("#requests-body tr[data-outcome=upstream_error]");
      await expect.poll(() => page.locator("#request-detail .error-text").count()).toBe(1);
      await expectAccessible(page, "the failed request's drill-down");
      expectClean(problems);
    },
    90_000,
  );

  it.each(SCHEMES)(
    "the login form, after a failed attempt: no critical or serious violations (%s theme)",
    async (scheme) => {
      const { gateway } = await stack({}, { ADMIN_TOKEN: "admin-token-0123456789abcdef", ADMIN_PASSWORD: "pw" });
      const { page, problems } = await browser.open({ scheme });
      await page.goto(`${gateway.url}/admin`);
      await expectAccessible(page, "the login form");
      await page.fill("#password", "wrong");
      await Promise.all([page.waitForURL(/\/admin\?error=1$/), page.click("form.login button[type=submit]")]);
      await checkBothWidths(page, `admin-a11y-login-failed-${scheme}`);
      expectClean(problems);
    },
    60_000,
  );
});
