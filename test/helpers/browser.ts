import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/**
 * Debian's Chromium, never a downloaded browser (.ci/run installs the packages). The headless
 * shell (package `chromium-headless-shell`, built from the same source as `chromium`) is what
 * playwright itself runs for headless tests: the same Blink without the browser's UI process,
 * it took 37 s of CPU where the full browser took 59 s for the same sixteen page tests. Without
 * it the full browser runs the tests.
 */
const HEADLESS_SHELL = "/usr/bin/chromium-headless-shell";
const FULL_BROWSER = "/usr/bin/chromium";
export const CHROMIUM_PATH = existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : FULL_BROWSER;

const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** What went wrong in a page: console errors, uncaught exceptions and CSP violations. */
export interface PageProblems {
  /** `console.error` messages and failed loads Chromium reports there ("Failed to load resource…"). */
  consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  pageErrors: string[];
  /** From console messages naming the Content Security Policy and from `securitypolicyviolation` events. */
  cspViolations: string[];
}

export interface OpenPage {
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
}

export interface OpenOptions {
  /** Viewport width; default 1280 (desktop). Phones are 390. */
  width?: number;
  height?: number;
  /** Let the page read and write the clipboard (copy-button tests). */
  clipboard?: boolean;
  /** The system colour scheme the page sees (`prefers-color-scheme`); default dark. */
  scheme?: "dark" | "light";
}

export interface BrowserHandle {
  /** False only outside CI when Chromium is missing: wrap the tests in `describe.skipIf(!b.available)`. */
  readonly available: boolean;
  /** A fresh context (no cookies, no storage) and a page in it, watched for problems; closed after the test. */
  open(opts?: OpenOptions): Promise<OpenPage>;
}

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));

/**
 * Screenshots are for a person looking at the pages, and a full-page one costs the browser about
 * 0.2 s of CPU per megapixel (the suite's 70 came to 70 megapixels): they are written only when
 * `SCREENSHOTS=1`, and of every page still open when a page test fails.
 */
const SCREENSHOTS = process.env.SCREENSHOTS === "1";

/** With `SCREENSHOTS=1`: a full-page screenshot in test-artifacts/, named for the state it shows. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS) await writeScreenshot(page, name);
}

async function writeScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** How far the page is wider than the viewport, in CSS pixels (0 = no horizontal scrolling). */
export function horizontalOverflow(page: Page): Promise<number> {
  // The test config has no DOM types; this runs in the page, where these globals exist.
  return page.evaluate(() => {
    const g = globalThis as any;
    return (g.document.documentElement.scrollWidth as number) - (g.innerWidth as number);
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** Where the page loads axe from: a same-origin URL the test answers, so the page's CSP stays on. */
const AXE_PATH = "/__test__/axe.min.js";

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's findings of critical or serious impact on the page as it is now. axe is added with
 * `page.addScriptTag` from a same-origin URL this helper answers (an inline script would be, and
 * should be, refused by the CSP). Each finding names the elements, so a failure says what to fix.
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === "object");
  if (!loaded) {
    await page.route(`**${AXE_PATH}`, (route) => route.fulfill({ body: AXE_SOURCE, contentType: "text/javascript; charset=utf-8" }));
    await page.addScriptTag({ url: AXE_PATH });
  }
  // Runs in the page, where `axe` and `document` exist; the test config has no DOM types.
  const found = await page.evaluate(async () => {
    const g = globalThis as any;
    const result = await g.axe.run(g.document, { resultTypes: ["violations"] });
    return (result.violations as any[]).map((v) => ({
      id: v.id as string,
      impact: (v.impact ?? null) as string | null,
      help: v.help as string,
      nodes: (v.nodes as any[]).map((n) => `${(n.target as string[]).join(" ")}: ${String(n.failureSummary).replace(/\s+/g, " ")}`),
    }));
  });
  return found.filter((v) => v.impact === "critical" || v.impact === "serious");
}

/** Zero critical or serious accessibility violations (axe-core) on the page as it is now. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  expect(await axeViolations(page), `axe on ${where}`).toEqual([]);
}

/** Nothing went wrong in the page; `allow` names console errors that the test caused on purpose. */
export function expectClean(problems: PageProblems, allow?: RegExp): void {
  expect(problems.cspViolations).toEqual([]);
  expect(problems.pageErrors).toEqual([]);
  expect(problems.consoleErrors.filter((m) => !allow?.test(m))).toEqual([]);
}

/** Reports `securitypolicyviolation` events (fired at the document, before any page script runs). */
const CSP_INIT_SCRIPT = `
document.addEventListener("securitypolicyviolation", (e) => {
  const report = globalThis.__reportCspViolation;
  if (typeof report === "function") report(e.violatedDirective + " blocked " + (e.blockedURI || "(inline)") + " at " + (e.sourceFile || location.href) + ":" + e.lineNumber);
}, true);
`;

/**
 * One headless Chromium per test file (launched in beforeAll, closed in afterAll), a fresh
 * context per `open()`. When Chromium is missing the tests fail in CI (`CI` set) and are skipped
 * with a message elsewhere.
 */
export function useBrowser(): BrowserHandle {
  const installed = existsSync(CHROMIUM_PATH);
  const inCi = Boolean(process.env.CI);
  if (!installed && !inCi) {
    console.warn(`[browser tests] SKIPPED: ${CHROMIUM_PATH} not found. Install it with: sudo apt-get install -y chromium-headless-shell`);
  }
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!installed) {
      if (inCi)
        throw new Error(
          `${CHROMIUM_PATH} is missing; CI must install Debian's chromium-headless-shell or chromium package (see .ci/run). Browser tests never skip in CI.`,
        );
      return;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: LAUNCH_ARGS });
  });
  afterEach(async (ctx) => {
    const failed = ctx.task.result?.state === "fail";
    const open = contexts.splice(0);
    if (failed) {
      // What the page showed when the test failed: test-artifacts/failed-<test>-<n>.png.
      const name = `failed-${ctx.task.name.replace(/[^\w-]+/g, "-").slice(0, 80)}`;
      const pages = open.flatMap((c) => c.pages());
      for (const [i, page] of pages.entries()) await writeScreenshot(page, `${name}-${i + 1}`).catch(() => undefined);
    }
    for (const c of open) await c.close().catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    browser = undefined;
  });

  return {
    available: installed || inCi,
    async open(opts = {}) {
      if (!browser) throw new Error("the browser is not running (useBrowser's beforeAll failed or did not run)");
      const context = await browser.newContext({
        viewport: { width: opts.width ?? DESKTOP.width, height: opts.height ?? DESKTOP.height },
        colorScheme: opts.scheme ?? "dark",
      });
      if (opts.clipboard) await context.grantPermissions(["clipboard-read", "clipboard-write"]);
      contexts.push(context);
      const problems: PageProblems = { consoleErrors: [], pageErrors: [], cspViolations: [] };
      await context.exposeFunction("__reportCspViolation", (text: string) => problems.cspViolations.push(text));
      await context.addInitScript(CSP_INIT_SCRIPT);
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      page.on("console", (msg) => {
        const where = msg.location().url;
        const text = where ? `${msg.text()} (${where})` : msg.text();
        if (/Content Security Policy/i.test(msg.text())) problems.cspViolations.push(text);
        else if (msg.type() === "error") problems.consoleErrors.push(text);
      });
      page.on("pageerror", (err) => problems.pageErrors.push(err.stack ?? err.message));
      return { context, page, problems };
    },
  };
}
