import { existsSync } from "node:fs";
import { afterAll, afterEach, beforeAll } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/** Debian's Chromium. Never download a browser: CI installs this package (.ci/run). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

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

export interface BrowserHandle {
  /** False only outside CI when Chromium is missing: wrap the tests in `describe.skipIf(!b.available)`. */
  readonly available: boolean;
  /** A fresh context (no cookies, no storage) and a page in it, watched for problems; closed after the test. */
  open(): Promise<OpenPage>;
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
    console.warn(`[browser tests] SKIPPED: ${CHROMIUM_PATH} not found. Install it with: sudo apt-get install -y chromium`);
  }
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!installed) {
      if (inCi) throw new Error(`${CHROMIUM_PATH} is missing; CI must install Debian's chromium package (see .ci/run). Browser tests never skip in CI.`);
      return;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: LAUNCH_ARGS });
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    browser = undefined;
  });

  return {
    available: installed || inCi,
    async open() {
      if (!browser) throw new Error("the browser is not running (useBrowser's beforeAll failed or did not run)");
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
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
