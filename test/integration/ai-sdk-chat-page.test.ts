import { afterEach, describe, expect, it } from "vitest";
import { startExampleServer, type ExampleServer } from "../../examples/ai-sdk-chat/serve.js";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { LONG_ANSWER } from "../../mock-upstream/long-reasoning.js";
import { expectAccessible, expectClean, screenshot, useBrowser } from "../helpers/browser.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";

/*
 * The useChat example app (examples/ai-sdk-chat: React, @ai-sdk/react, the SDK's own
 * DefaultChatTransport) in Debian's Chromium, served from its own origin and talking to a real
 * gateway across origins (CORS_ORIGINS) in front of the mock upstream. A MutationObserver in the
 * page records when each stage first shows, so the order asserted is the order the user saw;
 * axe-core finds no critical or serious violation in any state.
 */

const b = useBrowser();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of open.splice(0).reverse()) await s.close();
});

interface Setup {
  example: ExampleServer;
  mock: RunningMock;
  gateway: RunningGateway;
  page: string;
}

async function setup(mockOptions: Parameters<typeof startMockUpstream>[0] = {}, env: Record<string, string> = {}, model = "mock-long-think"): Promise<Setup> {
  const example = await startExampleServer(0);
  open.push(example);
  const mock = await startMockUpstream({ longReasoningSeconds: 2.5, ...mockOptions });
  open.push(mock);
  const gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, CORS_ORIGINS: example.url, REASONING_PROGRESS_SECONDS: "0.5", ...env });
  open.push(gateway);
  return { example, mock, gateway, page: `${example.url}/?gateway=${encodeURIComponent(gateway.url)}&model=${model}` };
}

/** Runs in the page before its scripts: every stage element as it first appears, and each change of its text. */
const STAGE_LOG = `
globalThis.__stages = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll("[data-stage]")) {
    const text = el.textContent;
    if (el.__seen === text) continue;
    el.__seen = text;
    const status = document.querySelector('[data-testid="status"]')?.textContent ?? "";
    globalThis.__stages.push({ stage: el.getAttribute("data-stage"), text, status, element: el.__id ??= globalThis.__stages.length });
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
`;

interface StageEntry {
  stage: string;
  text: string;
  status: string;
  element: number;
}

describe.skipIf(!b.available)("the useChat example in Chromium", () => {
  it("shows the prompt summary, progress, reasoning summary and the answer live, in that order; the answer exact", async () => {
    const s = await setup();
    const { page, problems } = await b.open();
    await page.addInitScript(STAGE_LOG);
    await page.goto(s.page);
    await page.getByLabel("message").fill("Why is the sky blue?");
    await page.getByRole("button", { name: "Send" }).click();

    // While the model still reasons: the prompt summary and progress are on screen, no answer yet.
    await page.locator('[data-stage="progress"]').waitFor();
    await expect.poll(() => page.locator('[data-stage="progress"] h2').textContent()).toMatch(/Progress [2-9]/);
    expect(await page.locator('[data-stage="answer"]').count()).toBe(0);
    expect(await page.getByTestId("status").textContent()).toBe("streaming");
    await screenshot(page, "ai-sdk-chat-progress");
    await expectAccessible(page, "the example while it streams");

    await page.getByTestId("meta").waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId("status").textContent()).toBe("ready");
    await screenshot(page, "ai-sdk-chat-done");
    expect(await page.locator('[data-stage="answer"]').textContent()).toBe(LONG_ANSWER);
    await expectAccessible(page, "the example with a finished turn");

    const log = await page.evaluate<StageEntry[]>("globalThis.__stages");
    const first = (stage: string) => log.findIndex((e) => e.stage === stage);
    expect(first("prompt-summary")).toBeGreaterThanOrEqual(0);
    expect(first("prompt-summary")).toBeLessThan(first("progress"));
    expect(first("progress")).toBeLessThan(first("reasoning-summary"));
    expect(first("reasoning-summary")).toBeLessThan(first("answer"));
    // Live: each stage showed while the turn was still streaming.
    for (const stage of ["prompt-summary", "progress", "reasoning-summary", "answer"]) expect(log[first(stage)]?.status, stage).toBe("streaming");
    // Progress is one element whose text changed in place as new summaries came.
    const progress = log.filter((e) => e.stage === "progress");
    expect(new Set(progress.map((e) => e.element)).size).toBe(1);
    expect(new Set(progress.map((e) => e.text)).size).toBeGreaterThanOrEqual(2);
    // The answer grew while it streamed, rather than arriving whole.
    expect(log.filter((e) => e.stage === "answer").length).toBeGreaterThan(1);
    expectClean(problems);
  });

  it("an upstream refusal is useChat's error, with the gateway's message", async () => {
    const s = await setup({ faults: { fail: { status: 400, times: Infinity, message: "unsupported parameter: top_k" } } }, {}, "mock-think");
    const { page, problems } = await b.open();
    await page.goto(s.page);
    await page.getByLabel("message").fill("Hello?");
    await page.getByRole("button", { name: "Send" }).click();
    // The gateway's message, not its JSON: the example reads the body the transport hands over.
    await expect.poll(() => page.getByTestId("error").textContent()).toMatch(/^unsupported parameter: top_k/);
    await screenshot(page, "ai-sdk-chat-error");
    await expectAccessible(page, "the example showing an error");
    // The browser reports the failed fetch itself; nothing else went wrong.
    expectClean(problems, /status of 400/);
  });

  it("Stop aborts the fetch, and the upstream call is cancelled", async () => {
    const s = await setup({ longReasoningSeconds: 10 });
    const { page, problems } = await b.open();
    await page.goto(s.page);
    await page.getByLabel("message").fill("Why is the sky blue?");
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator('[data-stage="prompt-summary"]').waitFor();
    await page.getByRole("button", { name: "Stop" }).click();
    await s.mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
    await expect.poll(() => page.getByTestId("status").textContent()).toBe("ready");
    expectClean(problems);
  });
});
