import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { DESKTOP, expectClean, horizontalOverflow, PHONE, screenshot, useBrowser } from "../helpers/browser.js";
import type { StagedEvent } from "../../src/events/index.js";
import { ev, useScriptedGateway, type ScriptStep } from "../helpers/scripted-gateway.js";

/**
 * The playground against a scripted stream served through the real gateway app (its pages,
 * assets and CSP): the renderings of events the pipeline does not emit on cue — progress notes,
 * tool calls, research sources, a stream that breaks mid-answer.
 */
const browser = useBrowser();
const scripted = useScriptedGateway();

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();
const attr = (page: Page, selector: string, name: string) => page.locator(selector).first().getAttribute(name);

async function ask(page: Page, prompt: string, via: "click" | "keys" = "click") {
  await page.fill("#prompt", prompt);
  if (via === "keys") await page.press("#prompt", "Control+Enter");
  else await page.click("#send");
}

/** The page loaded and picked a model. */
async function ready(page: Page, url: string) {
  await page.goto(url);
  await expect.poll(() => page.inputValue("#model")).not.toBe("");
}

const answerSteps = (answer: string, pieces = 4): ScriptStep[] => {
  const size = Math.ceil(answer.length / pieces);
  const out: ScriptStep[] = [];
  for (let i = 0; i < answer.length; i += size) out.push({ event: ev.delta(answer.slice(i, i + size)) }, { wait: 20 });
  return out;
};

describe.skipIf(!browser.available)("playground: the live reasoning timeline", () => {
  it("runs a timer while the model thinks, shows progress notes as they come, then folds them into the final summary", async () => {
    // The reasoning summary waits until the test has seen the second note while the model still
    // thinks: on a loaded machine a fixed delay could let the summary fold the notes away first.
    let noteTwoSeen!: () => void;
    const seen = new Promise<void>((r) => (noteTwoSeen = r));
    const gw = await scripted(() => ({
      steps: [
        { wait: 100 },
        { event: ev.prompt("You ask why the sky is blue rather than violet.") },
        { wait: 1300 },
        { event: ev.progress(0, "**Scattering** — comparing how much each wavelength scatters.") },
        { wait: 1300 },
        { event: ev.progress(1, "**Eyes** — weighing the eye's sensitivity to violet.") },
        { gate: seen },
        { wait: 1300 },
        { event: ev.reasoning("- Short wavelengths scatter most.\n- Eyes are less sensitive to violet.") },
        { wait: 800 },
        ...answerSteps("Because air scatters blue light more, and our eyes favour blue over violet."),
        { event: ev.done(4200) },
      ],
    }));
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    // Named like a reasoner, so it comes before mock-plain.
    expect(await page.inputValue("#model")).toBe("scripted-reasoner");
    await ask(page, "Why is the sky blue, and not violet?", "keys");

    // The thinking block's title is the timer, open while the model thinks.
    const timer = ".stages-title .timer";
    await page.waitForSelector(`${timer}[data-running=true]`);
    expect(await page.locator(".stages").evaluate((d) => (d as { open: boolean }).open)).toBe(true);
    const firstSeconds = Number(await attr(page, timer, "data-seconds"));
    await expect.poll(async () => Number(await attr(page, timer, "data-seconds")), { timeout: 5_000 }).toBeGreaterThan(firstSeconds);
    expect(await text(page, timer)).toMatch(/^Thinking for \d+ s$/);
    // The answer is held back: no answer box, no "streaming…" badge, until the reasoning summary.
    expect(await page.locator(".answer-block").isVisible()).toBe(false);
    expect(await page.getByText(/streaming…/).count()).toBe(0);

    // Note 1 arrives while the model is still thinking: no final summary yet.
    await page.waitForSelector(".progress li[data-index='0']");
    expect(await attr(page, ".stage-reasoning", "data-state")).toBe("thinking");
    expect(await text(page, ".final-summary")).toBe("");
    expect(await page.locator(".progress-log").evaluate((d) => (d as { open: boolean }).open)).toBe(true);
    expect(await text(page, ".progress li[data-index='0'] .md strong")).toBe("Scattering");
    await screenshot(page, "playground-timeline-thinking-desktop");

    await page.waitForSelector(".progress li[data-index='1']");
    expect(await attr(page, ".stage-reasoning", "data-state")).toBe("thinking");
    await page.setViewportSize(PHONE);
    await screenshot(page, "playground-timeline-thinking-phone");
    expect(await horizontalOverflow(page)).toBe(0);
    await page.setViewportSize(DESKTOP);
    noteTwoSeen();

    // The final summary replaces the live view: the notes fold away, the timer stops.
    await page.waitForSelector(".stage-reasoning[data-state=filled]", { state: "attached" });
    expect(await page.locator(".final-summary li").allTextContents()).toEqual(["Short wavelengths scatter most.", "Eyes are less sensitive to violet."]);
    expect(await page.locator(".progress-log").evaluate((d) => (d as { open: boolean }).open)).toBe(false);
    expect(await text(page, ".progress-log summary")).toBe("2 notes while it thought");
    expect(await attr(page, timer, "data-running")).toBe("false");
    // At least the 3.9 s the script thinks for; how much more is the machine's business.
    expect(Number(/^Thought for (\d+) s$/.exec((await text(page, timer)) ?? "")?.[1])).toBeGreaterThanOrEqual(3);

    await page.waitForSelector("article.turn[data-status=done]");
    expect(await text(page, ".answer > p")).toBe("Because air scatters blue light more, and our eyes favour blue over violet.");
    // Finished: the thinking block folds into its title and stays above the answer.
    expect(await page.locator(".msg-assistant > :first-child").getAttribute("class")).toBe("stages");
    expect(await page.locator(".msg-assistant > :last-child").getAttribute("class")).toBe("answer-block");
    expect(await page.locator(".stages").evaluate((d) => (d as { open: boolean }).open)).toBe(false);
    expect(await text(page, ".stages-title")).toMatch(/^Thought for \d+ s · 2 notes$/);
    const above = await page.locator(".stages").boundingBox();
    const below = await page.locator(".answer").boundingBox();
    expect(above!.y + above!.height).toBeLessThanOrEqual(below!.y);
    await screenshot(page, "playground-timeline-done-desktop");
    expectClean(problems);
  });
});

describe.skipIf(!browser.available)("playground: rendering the answer", () => {
  const ANSWER = [
    "Two steps:",
    "",
    "- reverse the string",
    "- compare it with the original",
    "",
    "```ts",
    'const isPalindrome = (s: string): boolean => s === [...s].reverse().join(""); // a long line that must scroll inside its block, not widen the page on a phone',
    "```",
    "",
    'Done. <img src="https://example.com/x.png" onerror="alert(1)"> <span style="color:red">styled</span> [docs](https://example.com/docs)',
  ].join("\n");

  it("renders Markdown (a list and a code block), sanitised, with copy buttons on the answer and the code", async () => {
    const gw = await scripted(() => ({
      steps: [
        { event: ev.prompt("A palindrome check.") },
        { event: ev.reasoning("- Compare with the reverse.") },
        ...answerSteps(ANSWER, 7),
        { event: ev.done() },
      ],
    }));
    const { page, problems } = await browser.open({ clipboard: true });
    await ready(page, gw.url);
    await ask(page, "Write a palindrome check.");
    await page.waitForSelector("article.turn[data-status=done]");

    expect(await page.locator(".answer ul > li").allTextContents()).toEqual(["reverse the string", "compare it with the original"]);
    const code =
      'const isPalindrome = (s: string): boolean => s === [...s].reverse().join(""); // a long line that must scroll inside its block, not widen the page on a phone\n';
    expect(await page.locator(".answer pre code").textContent()).toBe(code);
    // Sanitised: no image, no inline style, no handler; links open safely elsewhere.
    expect(await page.locator(".answer img, .answer [style], .answer [onerror]").count()).toBe(0);
    expect(await page.locator(".answer a[href='https://example.com/docs']").getAttribute("rel")).toBe("noopener noreferrer");

    await page.click(".answer pre .copy-code");
    await expect.poll(() => text(page, ".answer pre .copy-code")).toBe("Copied");
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(code);
    await page.click(".copy-answer");
    await expect.poll(() => text(page, ".copy-answer")).toBe("Copied");
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(ANSWER);
    await screenshot(page, "playground-markdown-desktop");

    await page.setViewportSize(PHONE);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, "playground-markdown-phone");
    expectClean(problems);
  });

  it("shows research sources and tool calls as they arrive", async () => {
    const gw = await scripted(() => ({
      steps: [
        { event: ev.prompt("The weather in Paris.") },
        {
          event: ev.sources("paris weather", [
            { index: 1, title: "Météo-France", url: "https://meteofrance.com/paris", snippet: "Forecast for Paris." },
            { index: 2, title: "Not a link", url: "javascript:alert(1)", snippet: "Must not become a link." },
          ]),
        },
        { event: ev.reasoning("- The user wants current weather: call the tool.") },
        { event: ev.tools([{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"ci' } }]) },
        { wait: 50 },
        { event: ev.tools([{ index: 0, function: { arguments: 'ty":"Paris"}' } }]) },
        {
          event: {
            event: "output.done",
            data: {
              request_id: "r",
              finish_reason: "tool_calls",
              timings: { prompt_summary: 5, reasoning_end: 6, reasoning_summary: 7, first_output: 8, total: 9 },
            },
          },
        },
      ],
    }));
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    await ask(page, "What is the weather in Paris?");
    await page.waitForSelector("article.turn[data-status=done]");

    expect(await text(page, ".tool-call .tool-name")).toBe("get_weather");
    expect(await text(page, ".tool-call pre")).toBe('{\n  "city": "Paris"\n}');
    expect(await page.locator(".answer-block .waiting").isVisible()).toBe(false);
    const items = page.locator(".sources li");
    expect(await items.count()).toBe(2);
    expect(await items.nth(0).locator("a").getAttribute("href")).toBe("https://meteofrance.com/paris");
    expect(await items.nth(1).locator("a").count()).toBe(0);
    expect(await text(page, ".stages-title")).toContain("2 sources");
    // Folded under the tool call; opened here for the screenshot.
    expect(await page.locator(".stages").evaluate((d) => (d as { open: boolean }).open)).toBe(false);
    await page.click(".stages-title");
    await screenshot(page, "playground-tools-and-sources-desktop");
    expectClean(problems);
  });
});

describe.skipIf(!browser.available)("playground: honest endings", () => {
  it("a stream that fails mid-answer shows failed, keeps the partial answer and puts the error in place", async () => {
    const gw = await scripted(() => ({
      steps: [
        { event: ev.prompt("Summarise WW1.") },
        { event: ev.reasoning("- Alliances, militarism, a spark.") },
        { event: ev.delta("The war began when ") },
        { wait: 50 },
        { event: ev.error("upstream", "the upstream stream broke after 12 chunks", "upstream_error") },
      ],
    }));
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    await ask(page, "Summarise the causes of WW1.");
    await page.waitForSelector("article.turn[data-status=failed]");
    expect(await text(page, ".answer > p")).toBe("The war began when ");
    // No "failed" badge beside the error box: one error, said once.
    expect(await page.locator(".marker").isVisible()).toBe(false);
    expect(await text(page, ".turn-error")).toBe("the upstream stream broke after 12 chunks (upstream_error)");
    expect(await page.locator(".turn-error").evaluate((e) => (globalThis as any).getComputedStyle(e).color as string)).toBe("rgb(255, 180, 174)");
    // One error, in the turn, with Retry: the status line does not say it a second time.
    expect(await text(page, "#status")).toBe("");
    expect(await page.locator("[role=alert]:visible").count()).toBe(1);
    expect(await page.locator(".error-text:visible").count()).toBe(1);
    expect(await page.locator(".turn-failure .retry").isVisible()).toBe(true);
    await screenshot(page, "playground-failed-mid-answer-desktop");
    await page.setViewportSize(PHONE);
    await screenshot(page, "playground-failed-mid-answer-phone");
    expectClean(problems);
  });

  it("a connection that drops mid-answer is a failure too, not 'done'", async () => {
    // The connection is cut only once the page shows the partial answer: no guessed delay.
    let shown: () => void = () => {};
    const seen = new Promise<void>((resolve) => (shown = resolve));
    const gw = await scripted(() => ({
      steps: [{ event: ev.prompt("q") }, { event: ev.reasoning("- r") }, { event: ev.delta("Half an ans") }, { gate: seen }, { destroy: true }],
    }));
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    await ask(page, "Anything.");
    await expect.poll(() => page.locator(".answer > p").allTextContents()).toEqual(["Half an ans"]);
    shown();
    await page.waitForSelector("article.turn[data-status=failed]");
    expect(await text(page, ".answer > p")).toBe("Half an ans");
    expect(await text(page, ".turn-error")).toMatch(/connection_lost|stream_incomplete/);
    expectClean(problems, /ERR_INCOMPLETE_CHUNKED_ENCODING|Failed to load resource/);
  });

  it("Stop leaves a stopped marker and says why each unfinished stage stays empty", async () => {
    const retry: StagedEvent = {
      event: "upstream.retry",
      data: { request_id: "r", provider: "friendli", attempt: 2, max_retries: 3, delay_ms: 1500, code: "endpoint_unavailable", message: "endpoint warming up" },
    };
    const gw = await scripted(() => ({ steps: [{ event: ev.prompt("Plan a trip.") }, { event: retry }, { hang: true }] }));
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    await ask(page, "Plan a 3-day trip to Kyoto.");
    await page.waitForSelector(".stage-prompt[data-state=filled]");
    // A warming-up upstream is shown while the user waits, not a silent pause.
    await expect.poll(() => text(page, ".retry-note")).toBe("friendli: endpoint warming up — retry 2/3 in 1.5 s");
    await page.click("#stop");
    await page.waitForSelector("article.turn[data-status=stopped]");
    expect(await page.isVisible(".retry-note")).toBe(false);
    expect(await text(page, ".marker")).toBe("stopped");
    expect(await text(page, ".stage-reasoning .waiting")).toBe("Not reached: you stopped the request.");
    expect(await text(page, ".answer-block .waiting")).toBe("Not reached: you stopped the request.");
    await expect.poll(() => gw.aborted()).toBe(1);
    await screenshot(page, "playground-stopped-desktop");
    expectClean(problems);
  });

  it("an upstream 400 fills no stage: each says why instead of waiting", async () => {
    const gw = await scripted(() => ({
      status: 400,
      json: { error: { message: "max_tokens: must be at most 8192", type: "invalid_request_error", code: "invalid_request" } },
    }));
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    await ask(page, "Write a novel.");
    await page.waitForSelector("article.turn[data-status=failed]");
    expect(await text(page, ".turn-error")).toBe("HTTP 400: max_tokens: must be at most 8192 (invalid_request).");
    // Nothing ran, so nothing else speaks: no empty thinking block, no stage saying why it is empty.
    expect(await page.locator(".stages").isVisible()).toBe(false);
    expect(await page.locator("article.turn .waiting:visible").count()).toBe(0);
    expect(await page.locator("[role=alert]:visible").count()).toBe(1);
    expect(await page.locator("text=waiting…").count()).toBe(0);
    await screenshot(page, "playground-upstream-400-desktop");
    expectClean(problems, /status of 400/);
  });
});

describe.skipIf(!browser.available)("playground: a conversation", () => {
  it("sends the earlier turns with each new prompt, and leaves failed turns out", async () => {
    const gw = await scripted((_body, n) =>
      n === 2
        ? { status: 502, json: { error: { message: "upstream down", type: "upstream_error", code: "upstream_error" } } }
        : { steps: [{ event: ev.prompt(`Q${n}`) }, { event: ev.reasoning("- r") }, { event: ev.delta(`Answer ${n}.`) }, { event: ev.done() }] },
    );
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    await ask(page, "First question?");
    await page.waitForSelector("article.turn:nth-child(1)[data-status=done]");
    await ask(page, "Second question?");
    await page.waitForSelector("article.turn:nth-child(2)[data-status=failed]");
    await ask(page, "Third question?");
    await page.waitForSelector("article.turn:nth-child(3)[data-status=done]");
    expect(gw.bodies.map((b) => b.messages)).toEqual([
      [{ role: "user", content: "First question?" }],
      [
        { role: "user", content: "First question?" },
        { role: "assistant", content: "Answer 1." },
        { role: "user", content: "Second question?" },
      ],
      [
        { role: "user", content: "First question?" },
        { role: "assistant", content: "Answer 1." },
        { role: "user", content: "Third question?" },
      ],
    ]);
    expect(gw.bodies.every((b) => b.model === "scripted-reasoner")).toBe(true);
    expectClean(problems, /status of 502/);
  });
});
