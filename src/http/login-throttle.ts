/** Admin login attempts per client address before it is locked out, and the window they are counted in. */
export const LOGIN_MAX_ATTEMPTS = 5;
export const LOGIN_WINDOW_MS = 60_000;
/** The first lockout of an address; each further one doubles, up to LOGIN_MAX_LOCK_MS. */
export const LOGIN_BASE_LOCK_MS = 60_000;
export const LOGIN_MAX_LOCK_MS = 60 * 60_000;
/**
 * Attempts on the admin account from all addresses together, per window. Above what one address
 * may make, so only guessing spread over many addresses meets it; its lockout does not grow, so
 * such an attack keeps the login closed for a minute at a time, never for hours.
 */
export const LOGIN_ACCOUNT_MAX_ATTEMPTS = 30;
/** Addresses remembered at once; beyond it the least recently seen are forgotten. */
const MAX_CLIENTS = 10_000;
/** There is one admin account (the login form has no user name): the key its attempts count under. */
const ADMIN_ACCOUNT = "admin";

export interface LoginThrottleOptions {
  now: () => number;
  maxAttempts?: number;
  windowMs?: number;
  baseLockMs?: number;
  maxLockMs?: number;
  accountMaxAttempts?: number;
}

/** An attempt that was let in: its password is checked once its body has arrived. */
export interface LoginAttempt {
  /** The password was right: the address's count is forgotten, unless a lockout began meanwhile. */
  succeeded(): void;
}

/** Guesses at the admin password, limited per client address and for the account as a whole. */
export interface LoginThrottle {
  /**
   * An attempt starts, its body still unread: refused (how long to wait), or let in and counted
   * now. Counting at the start is what bounds attempts opened at once whose bodies come later.
   */
  begin(client: string): LoginAttempt | { retryAfterMs: number };
  /** How long `client` must wait before an attempt is let in; 0 = it may try now. */
  retryAfterMs(client: string): number;
}

/**
 * Two lockouts, each counting attempts when they start: `maxAttempts` within `windowMs` from one
 * address, then the next attempt locks that address for `baseLockMs`, the next lockout twice as
 * long, up to `maxLockMs`; and `accountMaxAttempts` from all addresses together lock the account
 * for `windowMs`. While locked, attempts are refused without reading their body, so guessing
 * stops. A right password forgets its address's count — but not when a lockout began while it
 * was on its way: it was admitted, and gets its session, but the lock stays for everyone else.
 */
export function createLoginThrottle(opts: LoginThrottleOptions): LoginThrottle {
  const windowMs = opts.windowMs ?? LOGIN_WINDOW_MS;
  const addresses = createAttemptCounter({
    now: opts.now,
    max: opts.maxAttempts ?? LOGIN_MAX_ATTEMPTS,
    windowMs,
    baseLockMs: opts.baseLockMs ?? LOGIN_BASE_LOCK_MS,
    maxLockMs: opts.maxLockMs ?? LOGIN_MAX_LOCK_MS,
  });
  const account = createAttemptCounter({
    now: opts.now,
    max: opts.accountMaxAttempts ?? LOGIN_ACCOUNT_MAX_ATTEMPTS,
    windowMs,
    baseLockMs: windowMs,
    maxLockMs: windowMs,
  });
  const waitOf = (client: string) => Math.max(addresses.waitMs(client), account.waitMs(ADMIN_ACCOUNT));

  return {
    begin(client) {
      const waiting = waitOf(client);
      if (waiting > 0) return { retryAfterMs: waiting };
      // Both are checked before either counts: an attempt refused by one is not one for the other.
      if (addresses.full(client)) return { retryAfterMs: addresses.lock(client) };
      if (account.full(ADMIN_ACCOUNT)) return { retryAfterMs: account.lock(ADMIN_ACCOUNT) };
      addresses.count(client);
      account.count(ADMIN_ACCOUNT);
      return {
        succeeded() {
          if (addresses.waitMs(client) === 0) addresses.forget(client);
        },
      };
    },
    retryAfterMs: waitOf,
  };
}

interface CounterOptions {
  now: () => number;
  max: number;
  windowMs: number;
  baseLockMs: number;
  maxLockMs: number;
}

interface KeyState {
  /** Attempts in the current window, and when that window began. */
  attempts: number;
  windowStart: number;
  lockedUntil: number;
  /** Lockouts so far: the next one lasts base × 2^locks. Forgotten after a success. */
  locks: number;
}

/** Attempts per key within a window, and the key's lockout; memory bounded by MAX_CLIENTS keys. */
function createAttemptCounter(o: CounterOptions) {
  // Insertion order is recency order: a touched entry is deleted and set again.
  const keys = new Map<string, KeyState>();

  /** The key's state, its window restarted when it has run out. */
  function current(key: string, now: number): KeyState {
    const s = keys.get(key) ?? { attempts: 0, windowStart: now, lockedUntil: 0, locks: 0 };
    keys.delete(key);
    keys.set(key, s);
    if (keys.size > MAX_CLIENTS) {
      const oldest = keys.keys().next().value;
      if (oldest !== undefined) keys.delete(oldest);
    }
    if (now - s.windowStart >= o.windowMs) {
      s.attempts = 0;
      s.windowStart = now;
    }
    return s;
  }

  return {
    waitMs(key: string): number {
      const s = keys.get(key);
      return s ? Math.max(0, s.lockedUntil - o.now()) : 0;
    },
    /** Has the key used every attempt of its window? */
    full(key: string): boolean {
      return current(key, o.now()).attempts >= o.max;
    },
    /** Lock the key now; returns how long. */
    lock(key: string): number {
      const now = o.now();
      const s = current(key, now);
      const ms = Math.min(o.maxLockMs, o.baseLockMs * 2 ** s.locks);
      s.lockedUntil = now + ms;
      s.locks += 1;
      // The window starts again when the lock ends: a locked key earns no attempts meanwhile.
      s.attempts = 0;
      s.windowStart = s.lockedUntil;
      return ms;
    },
    count(key: string): void {
      current(key, o.now()).attempts += 1;
    },
    forget(key: string): void {
      keys.delete(key);
    },
  };
}
