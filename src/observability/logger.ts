import { pino, type Logger } from "pino";

export type { Logger };

/**
 * JSON lines by default (for machines); pretty when a person is watching a terminal. Secrets are
 * redacted by path as a second line of defence — the code never logs them on purpose.
 */
export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: ["*.authorization", "*.apiKey", "*.api_key", "headers.authorization", "*.headers.authorization"], censor: "[redacted]" },
    ...(opts.pretty && { transport: { target: "pino-pretty", options: { colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" } } }),
  });
}

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
