import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { DESKTOP, expectClean, horizontalOverflow, PHONE, screenshot, useBrowser } from "../helpers/browser.js";
import { ev, useScriptedGateway, type ScriptReply, type ScriptStep } from "../helpers/scripted-gateway.js";
import { useStack } from "../helpers/stack.js";

/**
 * The playground against what people use daily (ChatGPT, Open WebUI), in a real Chromium: the
 * composer pinned to the bottom, the keys chat apps use, Retry / Regenerate / Edit-and-resend,
 * several conversations kept across reloads, a light theme, highlighted code, and a model picker
 * that lists what the gateway lists and keeps the user's choice. Screenshots of each state go to
 * test-artifacts/ at 1280 and 390 wide.
 */
const browser = useBrowser();
const scripted = useScriptedGateway();
const stack = useStack();

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();
const css = (page: Page, selector: string, prop: string) =>
  page
    .locator(selector)
    .first()
    .evaluate((e, p) => (globalThis as any).getComputedStyle(e).getPropertyValue(p) as string, prop);

async function ready(page: Page, url: string) {
  await page.goto(url);
  await expect.poll(() => page.inputValue("#model")).not.toBe("");
}

async function ask(page: Page, prompt: string) {
  await page.fill("#prompt", prompt);
  await page.press("#prompt", "Enter");
}

/** A whole answer: prompt summary, reasoning summary, the text, done. */
const answer = (say: string, extra: ScriptStep[] = []): ScriptReply => ({
  steps: [
    { event: ev.prompt("You ask something.") },
    ...extra,
    { event: ev.reasoning("- thought it through") },
    { event: ev.delta(say) },
    { event: ev.done() },
  ],
});

/** The element lies wholly inside the viewport (not scrolled away, not below the fold). */
async function inViewport(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).boundingBox();
  const view = page.viewportSize();
  return box !== null && view !== null && box.y >= 0 && box.x >= 0 && box.y + box.height <= view.height && box.x + box.width <= view.width;
}

/** The page itself never scrolls: only the thread does. */
const pageScroll = (page: Page) =>
  page.evaluate(() => ((globalThis as any).document.scrollingElement.scrollHeight as number) - ((globalThis as any).innerHeight as number));

describe.skipIf(!browser.available)("playground: the composer and the keys", () => {
  it("Send is on screen on a first visit at 1280×800 and 390×844, and stays there as the conversation grows", async () => {
    const gw = await scripted((_b, n) => answer(`Answer ${n}. ${"A long paragraph that fills the screen. ".repeat(12)}`));
    const { page, problems } = await browser.open();
    for (const size of [DESKTOP, PHONE]) {
      await page.setViewportSize(size);
      await ready(page, gw.url);
      expect(await inViewport(page, "#send")).toBe(true);
      expect(await inViewport(page, "#prompt")).toBe(true);
      expect(await pageScroll(page)).toBe(0);
    }
    await page.setViewportSize(DESKTOP);
    for (let i = 1; i <= 3; i++) {
      await ask(page, `Question ${i}?`);
      await page.waitForSelector(`article.turn:nth-child(${i})[data-status=done]`);
    }
    for (const size of [DESKTOP, PHONE]) {
      await page.setViewportSize(size);
      expect(await inViewport(page, "#send")).toBe(true);
      expect(await pageScroll(page)).toBe(0);
      expect(await horizontalOverflow(page)).toBe(0);
      // The thread follows the newest turn.
      await expect.poll(() => inViewport(page, "article.turn:last-child .turn-foot")).toBe(true);
      await screenshot(page, `playground-long-conversation-composer-pinned-${size === DESKTOP ? "desktop" : "phone"}`);
    }
    expectClean(problems);
  });

  it("the thread keeps following when text grows again before the browser reports the thread's own scroll", async () => {
    const gw = await scripted(() => answer("Short."));
    const { page, problems } = await browser.open();
    await page.setViewportSize(PHONE);
    await ready(page, gw.url);
    await ask(page, "Question?");
    await page.waitForSelector("article.turn[data-status=done]");
    // The order a frame runs things in: scroll events, then animation frames, then resize
    // observers. Text that grows makes the thread scroll itself to the bottom (its resize
    // observer); the scroll event for that arrives a frame later. Text that grows again in
    // between, as a streamed answer does, has moved the bottom away by then: that event must not
    // be read as the reader scrolling up.
    const atBottom = await page.evaluate(async () => {
      const doc = (globalThis as any).document;
      const scroller = doc.getElementById("scroller");
      const conversation = doc.getElementById("conversation");
      const frame = () => new Promise<void>((r) => (globalThis as any).requestAnimationFrame(() => r()));
      const afterFrame = () => frame().then(() => new Promise<void>((r) => setTimeout(r, 0)));
      const grow = () => {
        const block = doc.createElement("div");
        block.style.height = "400px";
        conversation.append(block);
      };
      grow(); // this frame's resize observer scrolls the thread down …
      await afterFrame();
      grow(); // … and before the next frame reports that scroll, the text grows again
      for (let i = 0; i < 3; i++) await afterFrame();
      return (scroller.scrollTop as number) + (scroller.clientHeight as number) >= (scroller.scrollHeight as number) - 1;
    });
    expect(atBottom).toBe(true);

    // The reader scrolling up lets go: text that grows then leaves the thread where the reader put it.
    const top = () => page.evaluate(() => (globalThis as any).document.getElementById("scroller").scrollTop as number);
    const bottomTop = await top();
    const box = await page.locator("#scroller").boundingBox();
    await page.mouse.move((box?.x ?? 0) + 20, (box?.y ?? 0) + 20);
    await page.mouse.wheel(0, -600);
    await expect.poll(top).toBeLessThan(bottomTop - 300);
    const readerTop = await top();
    await page.evaluate(async () => {
      const doc = (globalThis as any).document;
      const block = doc.createElement("div");
      block.style.height = "400px";
      doc.getElementById("conversation").append(block);
      for (let i = 0; i < 3; i++) await new Promise<void>((r) => (globalThis as any).requestAnimationFrame(() => setTimeout(r, 0)));
    });
    expect(await top()).toBe(readerTop);
    expectClean(problems);
  });

  it("Enter sends, Shift+Enter is a new line, Esc stops the answer", async () => {
    const gw = await scripted(() => ({ steps: [{ event: ev.prompt("Two lines.") }, { hang: true }] }));
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    await page.click("#prompt");
    await page.keyboard.type("line one");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("line two");
    expect(await page.inputValue("#prompt")).toBe("line one\nline two");
    expect(gw.bodies).toHaveLength(0);
    await page.keyboard.press("Enter");
    await page.waitForSelector(".stage-prompt[data-state=filled]");
    expect(gw.bodies.map((b) => b.messages)).toEqual([[{ role: "user", content: "line one\nline two" }]]);
    expect(await page.inputValue("#prompt")).toBe("");
    await page.keyboard.press("Escape");
    await page.waitForSelector("article.turn[data-status=stopped]");
    await expect.poll(() => gw.aborted()).toBe(1);
    expect(await text(page, ".marker")).toBe("stopped");
    expectClean(problems);
  });
});

describe.skipIf(!browser.available)("playground: one error with Retry, Regenerate, Edit-and-resend", () => {
  it("a failed turn shows one error with Retry; Retry sends the same prompt again in its place", async () => {
    const gw = await scripted((_b, n) =>
      n === 1 ? { status: 502, json: { error: { message: "upstream down", type: "upstream_error", code: "upstream_error" } } } : answer("It worked."),
    );
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    await ask(page, "Will this work?");
    await page.waitForSelector("article.turn[data-status=failed]");
    expect(await page.locator("[role=alert]:visible").count()).toBe(1);
    expect(await page.locator(".error-text:visible").count()).toBe(1);
    expect(await text(page, ".turn-error")).toBe("HTTP 502: upstream down (upstream_error).");
    expect(await text(page, "#status")).toBe("");
    expect(await page.locator(".turn-failure .retry").isVisible()).toBe(true);
    await screenshot(page, "playground-failed-turn-one-error-with-retry-desktop");
    await page.setViewportSize(PHONE);
    await screenshot(page, "playground-failed-turn-one-error-with-retry-phone");
    await page.setViewportSize(DESKTOP);

    await page.click(".turn-failure .retry");
    await page.waitForSelector("article.turn[data-status=done]");
    expect(await page.locator("article.turn").count()).toBe(1);
    expect(await text(page, ".answer > p")).toBe("It worked.");
    expect(gw.bodies.map((b) => b.messages)).toEqual([[{ role: "user", content: "Will this work?" }], [{ role: "user", content: "Will this work?" }]]);
    expect(await page.locator("[role=alert]:visible").count()).toBe(0);
    expectClean(problems, /status of 502/);
  });

  it("Regenerate replaces the last answer; Edit-and-resend replaces a turn and every later one", async () => {
    const gw = await scripted((_b, n) => answer(`Answer ${n}.`));
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    await ask(page, "Q1");
    await page.waitForSelector("article.turn:nth-child(1)[data-status=done]");
    await ask(page, "Q2");
    await page.waitForSelector("article.turn:nth-child(2)[data-status=done]");
    // Only the last answer can be regenerated.
    expect(await page.locator("article.turn:nth-child(1) .regenerate").isVisible()).toBe(false);
    await page.click("article.turn:nth-child(2) .regenerate");
    await expect.poll(() => page.locator("article.turn .answer > p").allTextContents()).toEqual(["Answer 1.", "Answer 3."]);
    await page.waitForSelector("article.turn:nth-child(2)[data-status=done]");
    expect(gw.bodies[2]!.messages).toEqual([
      { role: "user", content: "Q1" },
      { role: "assistant", content: "Answer 1." },
      { role: "user", content: "Q2" },
    ]);

    await page.click("article.turn:nth-child(1) .edit");
    expect(await page.inputValue("article.turn:nth-child(1) .edit-box")).toBe("Q1");
    await page.fill("article.turn:nth-child(1) .edit-box", "Q1, asked better");
    await screenshot(page, "playground-edit-and-resend-desktop");
    await page.press("article.turn:nth-child(1) .edit-box", "Enter");
    await expect.poll(() => page.locator("article.turn .bubble").allTextContents()).toEqual(["Q1, asked better"]);
    await page.waitForSelector("article.turn[data-status=done]");
    expect(await page.locator("article.turn .answer > p").allTextContents()).toEqual(["Answer 4."]);
    expect(gw.bodies[3]!.messages).toEqual([{ role: "user", content: "Q1, asked better" }]);
    // The conversation's name follows its (new) first prompt.
    expect(await text(page, ".conv-open[aria-current=true]")).toBe("Q1, asked better");

    // Esc leaves an edit unchanged.
    await page.click("article.turn .edit");
    await page.fill("article.turn .edit-box", "never sent");
    await page.press("article.turn .edit-box", "Escape");
    expect(await page.locator("article.turn .bubble").isVisible()).toBe(true);
    expect(gw.bodies).toHaveLength(4);
    expectClean(problems);
  });
});

describe.skipIf(!browser.available)("playground: several conversations", () => {
  it("lists them newest first at the side, keeps them across reloads, opens, starts and deletes them", async () => {
    const gw = await scripted((body) => {
      const last = (body.messages as { content: string }[]).at(-1)?.content ?? "";
      return answer(`About ${last.split(" ")[0]}.`);
    });
    const { page, problems } = await browser.open();
    await ready(page, gw.url);
    expect(await page.isVisible("#conversation-empty")).toBe(true);
    await ask(page, "Alpha question");
    await page.waitForSelector("article.turn[data-status=done]");
    await page.click("#new-chat");
    expect(await page.locator("article.turn").count()).toBe(0);
    expect(await page.isVisible("#empty-state")).toBe(true);
    await ask(page, "Beta question");
    await page.waitForSelector("article.turn[data-status=done]");
    const titles = () => page.locator("#conversation-list .conv-open").allTextContents();
    expect(await titles()).toEqual(["Beta question", "Alpha question"]);
    expect(await text(page, ".conv-open[aria-current=true]")).toBe("Beta question");

    await page.click("#conversation-list li:nth-child(2) .conv-open");
    expect(await page.locator("article.turn .bubble").allTextContents()).toEqual(["Alpha question"]);
    await page.reload();
    await page.waitForSelector("article.turn[data-status=done]");
    expect(await titles()).toEqual(["Beta question", "Alpha question"]);
    expect(await text(page, ".conv-open[aria-current=true]")).toBe("Alpha question");
    expect(await page.locator("article.turn .answer > p").allTextContents()).toEqual(["About Alpha."]);
    await screenshot(page, "playground-conversation-list-desktop");

    // A prompt in Alpha carries Alpha's history only, and moves Alpha to the top.
    await expect.poll(() => page.inputValue("#model")).not.toBe("");
    await ask(page, "More on alpha");
    await page.waitForSelector("article.turn:nth-child(2)[data-status=done]");
    expect(gw.bodies.at(-1)!.messages).toEqual([
      { role: "user", content: "Alpha question" },
      { role: "assistant", content: "About Alpha." },
      { role: "user", content: "More on alpha" },
    ]);
    expect(await titles()).toEqual(["Alpha question", "Beta question"]);

    // On a phone the list is a drawer behind "Chats"; Esc closes it.
    await page.setViewportSize(PHONE);
    expect(await page.isVisible("#sidebar")).toBe(false);
    await page.click("#sidebar-toggle");
    expect(await page.isVisible("#sidebar")).toBe(true);
    expect(await page.getAttribute("#sidebar-toggle", "aria-expanded")).toBe("true");
    await screenshot(page, "playground-conversation-list-drawer-phone");
    await page.keyboard.press("Escape");
    expect(await page.isVisible("#sidebar")).toBe(false);
    await page.setViewportSize(DESKTOP);

    await page.click('#conversation-list button[aria-label="Delete “Beta question”"]');
    expect(await titles()).toEqual(["Alpha question"]);
    await page.reload();
    await page.waitForSelector("article.turn");
    expect(await titles()).toEqual(["Alpha question"]);
    expectClean(problems);
  });

  it("moves a conversation saved by the earlier single-conversation format into the list", async () => {
    const gw = await scripted(() => answer("x"));
    const { page, problems } = await browser.open();
    await page.goto(gw.url);
    const old = { turns: [{ id: "t1", prompt: "From before", model: "m", startedAt: 1, status: "done", answer: "Old answer." }] };
    await page.evaluate((v) => (globalThis as any).localStorage.setItem("staged-gateway.conversation.v1", v), JSON.stringify(old));
    await page.reload();
    await page.waitForSelector("article.turn[data-status=done]");
    expect(await page.locator("#conversation-list .conv-open").allTextContents()).toEqual(["From before"]);
    expect(await text(page, ".answer > p")).toBe("Old answer.");
    expectClean(problems);
  });
});

describe.skipIf(!browser.available)("playground: light theme and highlighted code", () => {
  const CODE = 'const isPalindrome = (s: string): boolean => s === [...s].reverse().join("");\n';
  const ANSWER = `Here it is:\n\n\`\`\`ts\n${CODE}\`\`\`\n\nAnd a shell line:\n\n\`\`\`sh\necho "done"\n\`\`\``;

  it("follows prefers-color-scheme, and highlights code in both themes (CSP-safe: classes, no inline styles)", async () => {
    const gw = await scripted(() => answer(ANSWER));
    const colours: Record<string, { bg: string; keyword: string; text: string }> = {};
    for (const scheme of ["light", "dark"] as const) {
      const { page, problems } = await browser.open({ scheme, clipboard: true });
      await ready(page, gw.url);
      await ask(page, "A palindrome check in TypeScript?");
      await page.waitForSelector("article.turn[data-status=done]");
      expect(await page.getAttribute(".answer pre:nth-of-type(1)", "data-language")).toBe("TypeScript");
      expect(await page.getAttribute(".answer pre:nth-of-type(2)", "data-language")).toBe("Bash");
      expect(await page.locator(".answer pre code.hljs .hljs-keyword").count()).toBeGreaterThan(0);
      expect(await page.locator(".answer [style]").count()).toBe(0);
      // Copy takes the code as written, not the highlighting.
      await page.click(".answer pre:nth-of-type(1) .copy-code");
      await expect.poll(() => page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(CODE);
      colours[scheme] = {
        bg: await css(page, "body", "background-color"),
        keyword: await css(page, ".hljs-keyword", "color"),
        text: await css(page, "body", "color"),
      };
      await page.click(".stages-title");
      await screenshot(page, `playground-highlighted-code-${scheme}-desktop`);
      await page.setViewportSize(PHONE);
      expect(await horizontalOverflow(page)).toBe(0);
      await screenshot(page, `playground-highlighted-code-${scheme}-phone`);
      expectClean(problems);
    }
    expect(colours.light).toEqual({ bg: "rgb(255, 255, 255)", keyword: "rgb(207, 34, 46)", text: "rgb(31, 35, 40)" });
    expect(colours.dark).toEqual({ bg: "rgb(15, 17, 21)", keyword: "rgb(255, 123, 114)", text: "rgb(230, 232, 238)" });
  });

  it("switches theme live when the system preference changes", async () => {
    const gw = await scripted(() => answer("x"));
    const { page } = await browser.open({ scheme: "dark" });
    await page.goto(gw.url);
    expect(await css(page, "body", "background-color")).toBe("rgb(15, 17, 21)");
    await page.emulateMedia({ colorScheme: "light" });
    expect(await css(page, "body", "background-color")).toBe("rgb(255, 255, 255)");
    await screenshot(page, "playground-empty-light-desktop");
  });
});

describe.skipIf(!browser.available)("playground: the model picker", () => {
  it("lists what /openai/v1/models lists (mock-long-think included) and keeps the choice when the key changes", async () => {
    const { gateway, mock } = await stack({}, { GATEWAY_API_KEYS: "key-one,key-two" });
    const { page, problems } = await browser.open();
    await page.goto(gateway.url);
    await expect.poll(() => text(page, "#model-note")).toMatch(/needs an API key .*HTTP 401/);

    const listed = (await (await fetch(`${gateway.url}/openai/v1/models`, { headers: { authorization: "Bearer key-one" } })).json()) as {
      data: { id: string }[];
    };
    const reload = async (key: string) => {
      await page.fill("#key", key);
      await Promise.all([page.waitForResponse((r) => r.url().endsWith("/openai/v1/models")), page.dispatchEvent("#key", "change")]);
      await page.waitForSelector("#model[data-state=ready]", { state: "attached" });
    };
    await reload("key-one");
    const offered = await page.locator("#model option").evaluateAll((os) => os.map((o) => (o as any).value as string));
    expect(offered.filter((v) => !v.includes("\u0000")).sort()).toEqual(listed.data.map((m) => m.id).sort());
    expect(offered).toContain("mock-long-think");
    expect(await page.isVisible("#model-note")).toBe(false);

    await page.selectOption("#model", "mock-plain");
    await reload("key-two");
    expect(await page.inputValue("#model")).toBe("mock-plain");
    // A wrong key: the note says so, the list and the choice stay.
    await reload("wrong-key");
    expect(await text(page, "#model-note")).toMatch(/needs an API key .*HTTP 403/);
    expect(await page.inputValue("#model")).toBe("mock-plain");
    expect(await page.locator("#model option").count()).toBe(offered.length);
    await reload("key-two");
    await ask(page, "Which model answers?");
    await page.waitForSelector("article.turn[data-status=done]");
    expect(mock.mock.calls.filter((c) => c.kind === "chat").map((c) => c.model)).toEqual(["mock-plain"]);
    expectClean(problems, /status of 40[13]/);
  });
});
