/** Failed admin logins per client before it is locked out, and the window they are counted in. */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_WINDOW_MS = 60_000;
/** The first lockout; each further one doubles, up to LOGIN_MAX_LOCK_MS. */
export const LOGIN_BASE_LOCK_MS = 60_000;
export const LOGIN_MAX_LOCK_MS = 60 * 60_000;
/** Clients remembered at once; beyond it the least recently seen are forgotten. */
const MAX_CLIENTS = 10_000;

export interface LoginThrottleOptions {
  now: () => number;
  maxFailures?: number;
  windowMs?: number;
  baseLockMs?: number;
  maxLockMs?: number;
}

/** Guesses at the admin password, limited per client address. */
export interface LoginThrottle {
  /** How long `client` must wait before its next attempt is even checked; 0 = it may try now. */
  retryAfterMs(client: string): number;
  failed(client: string): void;
  succeeded(client: string): void;
}

interface ClientState {
  /** Failures in the current window, and when that window began. */
  failures: number;
  windowStart: number;
  lockedUntil: number;
  /** Lockouts so far: the next one lasts base × 2^locks. Forgotten after a success. */
  locks: number;
  lastSeen: number;
}

/**
 * A per-address lockout with growing backoff: `maxFailures` wrong passwords within `windowMs`
 * lock the address for `baseLockMs`, the next lockout for twice that, up to `maxLockMs`. While
 * locked, attempts are refused without being checked, so guessing stops. Per address rather than
 * global, so a stranger cannot lock the operator out from elsewhere. Memory is bounded.
 */
export function createLoginThrottle(opts: LoginThrottleOptions): LoginThrottle {
  const maxFailures = opts.maxFailures ?? LOGIN_MAX_FAILURES;
  const windowMs = opts.windowMs ?? LOGIN_WINDOW_MS;
  const baseLockMs = opts.baseLockMs ?? LOGIN_BASE_LOCK_MS;
  const maxLockMs = opts.maxLockMs ?? LOGIN_MAX_LOCK_MS;
  // Insertion order is recency order: a touched entry is deleted and set again.
  const clients = new Map<string, ClientState>();

  function touch(client: string, now: number): ClientState {
    const s = clients.get(client) ?? { failures: 0, windowStart: now, lockedUntil: 0, locks: 0, lastSeen: now };
    clients.delete(client);
    s.lastSeen = now;
    clients.set(client, s);
    if (clients.size > MAX_CLIENTS) {
      const oldest = clients.keys().next().value;
      if (oldest !== undefined) clients.delete(oldest);
    }
    return s;
  }

  return {
    retryAfterMs(client) {
      const s = clients.get(client);
      return s ? Math.max(0, s.lockedUntil - opts.now()) : 0;
    },
    failed(client) {
      const now = opts.now();
      const s = touch(client, now);
      if (now - s.windowStart > windowMs) {
        s.failures = 0;
        s.windowStart = now;
      }
      s.failures += 1;
      if (s.failures >= maxFailures) {
        s.lockedUntil = now + Math.min(maxLockMs, baseLockMs * 2 ** s.locks);
        s.locks += 1;
        s.failures = 0;
        s.windowStart = now;
      }
    },
    succeeded(client) {
      clients.delete(client);
    },
  };
}
