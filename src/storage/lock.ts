import { mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, closeSync } from "node:fs";
import { join } from "node:path";

/** The file that says which process owns a data directory. */
export const LOCK_FILE = "gateway.lock";

/** Another live process holds the data directory: start-up must stop with this message. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another gateway (pid ${ownerPid}): the embedded database (PGlite) ` +
        "serves one process at a time. Stop that gateway, give this one its own DATA_DIR, or set DATABASE_URL " +
        `so several gateways share one PostgreSQL server. (The lock is ${join(dataDir, LOCK_FILE)}; it is ` +
        "taken over by itself once that process is gone.)",
    );
    this.name = "DataDirLockedError";
  }
}

export interface DataDirLock {
  /** Remove the lock if it is still ours (synchronous: safe in an `exit` handler). */
  release(): void;
}

export interface LockDeps {
  pid: number;
  /** Whether a process with this pid exists (a lock left by a dead process is stale). */
  isAlive(pid: number): boolean;
}

/** `process.kill(pid, 0)` probes without signalling; EPERM means it exists but is not ours. */
export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claim `dataDir` for this process with a lock file holding its pid. A lock whose process is gone
 * (a crash, a `kill -9`) is taken over; a live owner makes this throw {@link DataDirLockedError}.
 */
export function acquireDataDirLock(dataDir: string, deps: LockDeps): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // `wx`: create only if absent, atomically — two starters cannot both succeed here.
      const fd = openSync(path, "wx");
      writeFileSync(fd, `${deps.pid}\n`);
      closeSync(fd);
      return lockFor(path, deps.pid);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = readOwner(path);
    if (owner === deps.pid) return lockFor(path, deps.pid);
    if (owner !== undefined && deps.isAlive(owner)) throw new DataDirLockedError(dataDir, owner);
    // Stale (dead owner, or a half-written file): replace it in one rename, then check we won.
    const mine = `${path}.${deps.pid}`;
    writeFileSync(mine, `${deps.pid}\n`);
    renameSync(mine, path);
    if (readOwner(path) === deps.pid) return lockFor(path, deps.pid);
  }
  const owner = readOwner(path);
  throw new DataDirLockedError(dataDir, owner ?? 0);
}

function lockFor(path: string, pid: number): DataDirLock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // Never remove a lock that another process took over meanwhile.
      if (readOwner(path) !== pid) return;
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}
