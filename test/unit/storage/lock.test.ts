import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE } from "../../../src/storage/index.js";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => (dir = mkdtempSync(join(tmpdir(), "lock-")));
const alive = (pids: number[]) => (pid: number) => pids.includes(pid);

describe("DATA_DIR lock", () => {
  it("writes the owner's pid, and removes the file on release", () => {
    fresh();
    const lock = acquireDataDirLock(dir, { pid: 111, isAlive: alive([111]) });
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe("111\n");
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("refuses while the owner lives, naming its pid and what to do", () => {
    fresh();
    acquireDataDirLock(dir, { pid: 111, isAlive: alive([111, 222]) });
    let err: unknown;
    try {
      acquireDataDirLock(dir, { pid: 222, isAlive: alive([111, 222]) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toContain(`DATA_DIR ${dir} is in use by another gateway (pid 111)`);
    expect((err as Error).message).toContain("set DATABASE_URL");
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe("111\n");
  });

  it("takes over a stale lock left by a dead process, or a garbled one", () => {
    fresh();
    writeFileSync(join(dir, LOCK_FILE), "999\n");
    acquireDataDirLock(dir, { pid: 222, isAlive: alive([222]) }).release();
    writeFileSync(join(dir, LOCK_FILE), "not a pid");
    acquireDataDirLock(dir, { pid: 333, isAlive: alive([333]) });
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe("333\n");
  });

  it("never releases a lock another process has taken over", () => {
    fresh();
    const old = acquireDataDirLock(dir, { pid: 111, isAlive: alive([111]) });
    writeFileSync(join(dir, LOCK_FILE), "222\n");
    old.release();
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe("222\n");
  });
});
