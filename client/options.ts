import { InvalidArgumentError } from "commander";

/** Where `make run-gateway` listens: a base URL, like `GATEWAY_URL` in the Makefile. */
export const DEFAULT_URL = "http://127.0.0.1:8000";

/**
 * The gateway URL when `--url` is not given: `GATEWAY_URL`, else where a gateway reading the same
 * environment (or `.env`) listens — `HOST` and `PORT`, a wildcard host reached through loopback —
 * as the Makefile works it out.
 */
export function defaultGatewayUrl(env: Record<string, string | undefined>): string {
  const given = env.GATEWAY_URL?.trim();
  if (given) return given;
  const host = env.HOST?.trim() || "127.0.0.1";
  const port = env.PORT?.trim() || "8000";
  const reach = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return port === "8000" && reach === "127.0.0.1" ? DEFAULT_URL : `http://${reach}:${port}`;
}
export const DEFAULT_FRIENDLI_API_BASE = "https://api.friendli.ai";
export const DEFAULT_TIMEOUT_S = 300;
export const DEFAULT_WAKE_TIMEOUT_S = 600;
export const DEFAULT_WAKE_INTERVAL_S = 5;

/** A question that makes a reasoning model think a little before it answers. */
export const SAMPLE_PROMPT = "Why is the sky blue, and not violet, even though violet light has the shorter wavelength? " + "Answer in one short paragraph.";

/** The parsed flags of the main (chat) command, as commander hands them over. */
export interface ChatFlags {
  url: string;
  /** Absent: the gateway's default model (GET /openai/v1/models) is used. */
  model?: string;
  summaryModel?: string;
  prompt: string;
  system?: string;
  temperature?: number;
  maxTokens?: number;
  json: boolean;
  color: boolean;
  timeout: number;
  wake: boolean;
  /** `--restart`: restart a FAILED/TERMINATED endpoint while waking (implies `wake`). */
  restart: boolean;
  /** `--yes`: the answer to the restart question, for scripts. */
  yes: boolean;
  wakeTimeout: number;
  wakeInterval: number;
  apiKey?: string;
}

/** An argParser for a finite number within `[min, max]`; `minExclusive` for "greater than". */
export function numberIn(min: number, max: number, opts: { minExclusive?: boolean } = {}) {
  return (raw: string): number => {
    const n = raw.trim() === "" ? Number.NaN : Number(raw);
    const tooLow = opts.minExclusive ? n <= min : n < min;
    if (!Number.isFinite(n) || tooLow || n > max) {
      const lower = opts.minExclusive ? `greater than ${min}` : `at least ${min}`;
      throw new InvalidArgumentError(`Expected a number ${lower} and at most ${max}.`);
    }
    return n;
  };
}

/** An argParser for a whole number within `[min, max]`. */
export function integerIn(min: number, max: number) {
  return (raw: string): number => {
    const n = raw.trim() === "" ? Number.NaN : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** An argParser for an http(s) URL. */
export function httpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError("Expected an absolute URL such as http://127.0.0.1:8000.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError("Expected an http:// or https:// URL.");
  }
  return raw;
}

/** An argParser for a non-blank string (an empty `--prompt ""` is almost certainly a mistake). */
export function nonBlank(raw: string): string {
  if (raw.trim() === "") throw new InvalidArgumentError("Expected a non-empty value.");
  return raw;
}
