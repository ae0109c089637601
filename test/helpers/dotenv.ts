/**
 * A `.env` in the checkout's root, written for the length of one test and then put back as it was:
 * a user's own `.env` is moved aside first and restored afterwards, even when the test fails. A run
 * killed half-way leaves the backup behind; `restoreCheckoutDotenv()` (called by the suite's global
 * set-up) finishes the job on the next run.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
export const CHECKOUT_DOTENV = join(ROOT, ".env");
const BACKUP = join(ROOT, ".env.test-backup");
/** The first line of every `.env` the suite writes, so a leftover one is known for what it is. */
const MARK = "# written by the test suite for one test; removed after it";

/** Undo what an interrupted `withCheckoutDotenv` left: the user's `.env` back, ours gone. */
export function restoreCheckoutDotenv(): void {
  if (existsSync(BACKUP)) {
    renameSync(BACKUP, CHECKOUT_DOTENV);
    return;
  }
  if (existsSync(CHECKOUT_DOTENV) && readFileSync(CHECKOUT_DOTENV, "utf8").startsWith(MARK)) rmSync(CHECKOUT_DOTENV);
}

/** Run `fn` while the checkout's `.env` holds `content`; the previous state comes back afterwards. */
export async function withCheckoutDotenv<T>(content: string, fn: () => Promise<T>): Promise<T> {
  restoreCheckoutDotenv();
  if (existsSync(CHECKOUT_DOTENV)) renameSync(CHECKOUT_DOTENV, BACKUP);
  try {
    writeFileSync(CHECKOUT_DOTENV, `${MARK}\n${content}`);
    return await fn();
  } finally {
    rmSync(CHECKOUT_DOTENV, { force: true });
    if (existsSync(BACKUP)) renameSync(BACKUP, CHECKOUT_DOTENV);
  }
}
