/**
 * Everything the client touches outside itself comes in through {@link ClientIO}, so tests can run
 * the whole program in-process with fake streams, a fake clock and an abort signal of their own.
 */

/** A writable text sink; `isTTY` decides colours and the spinner. */
export interface TextSink {
  write(s: string): void;
  isTTY?: boolean;
}

/** The client's view of the outside world. */
export interface ClientIO {
  env: Record<string, string | undefined>;
  stdout: TextSink;
  stderr: TextSink;
  fetch: typeof fetch;
  /** Resolves after `ms`, rejects when `signal` aborts. Defaults to a real timer. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
  /** Milliseconds since some fixed point. Defaults to `Date.now`. */
  now?(): number;
  /** Aborts the whole run (Ctrl-C in the real binary). */
  signal?: AbortSignal;
  /**
   * Ask a yes/no question and wait for the answer (`--restart`). Absent when there is no terminal
   * to ask on, so a script never hangs on a prompt it cannot see.
   */
  confirm?(question: string): Promise<boolean>;
  /** What `--version` prints; default: the package's version. */
  version?: string;
}

/** A {@link ClientIO} with the optional clock and sleep filled in (as plain functions, safe to pass around). */
export interface ResolvedIO extends Omit<ClientIO, "sleep" | "now"> {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
}

/** A real, abortable timer: the default `sleep`. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Fill in the defaults for the optional parts of {@link ClientIO}. */
export function resolveIO(io: ClientIO): ResolvedIO {
  return {
    ...io,
    // Wrapped, not copied: `io` may be an object whose methods rely on `this`.
    sleep: (ms, signal) => (io.sleep ? io.sleep(ms, signal) : realSleep(ms, signal)),
    now: () => (io.now ? io.now() : Date.now()),
  };
}

/** Read an environment variable, treating an empty string as unset (as `.env` files often leave them). */
export function envValue(env: ClientIO["env"], name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
}
