import { Chalk, type ChalkInstance } from "chalk";
import { envValue, type ClientIO, type TextSink } from "./io.js";
import { createSpinner, silentSpinner, type Spinner } from "./spinner.js";

/**
 * Where and how the client writes: human text with optional colours, or JSON lines for scripts.
 * Every write goes through here so the spinner line is erased first and never mixes with text.
 */
export interface Output {
  readonly json: boolean;
  /** Colours for stdout and for stderr: each stream decides for itself whether it is a terminal. */
  readonly outStyle: ChalkInstance;
  readonly errStyle: ChalkInstance;
  readonly spinner: Spinner;
  out(text: string): void;
  err(text: string): void;
  /** One `{"event":NAME,"data":{…}}` line on stdout. */
  jsonLine(event: string, data: unknown): void;
  /**
   * Report a failure the client itself detected (no gateway event carries it): a red line on
   * stderr, or a `client.error` JSON line for scripts.
   */
  fail(message: string, data?: Record<string, unknown>): void;
}

/**
 * Colours only for a terminal, unless `--no-color`/`NO_COLOR` turn them off or `FORCE_COLOR`
 * turns them on (both are widespread conventions that users set once in their shell).
 */
export function colorLevel(sink: TextSink, wanted: boolean, env: ClientIO["env"]): 0 | 1 {
  if (!wanted || envValue(env, "NO_COLOR") !== undefined) return 0;
  const force = envValue(env, "FORCE_COLOR");
  if (force !== undefined) return force === "0" || force === "false" ? 0 : 1;
  return sink.isTTY ? 1 : 0;
}

/** Build the {@link Output} for one run. */
export function createOutput(io: ClientIO, opts: { json: boolean; color: boolean; now: () => number }): Output {
  const outStyle = new Chalk({ level: colorLevel(io.stdout, opts.color, io.env) });
  const errStyle = new Chalk({ level: colorLevel(io.stderr, opts.color, io.env) });
  // Frames on a pipe or in a JSON stream would be noise for whoever reads it; and with stdout
  // redirected (`> answer.txt`) the user watches a file fill, not the terminal, so no spinner either.
  const spinner = io.stderr.isTTY && io.stdout.isTTY && !opts.json ? createSpinner(io.stderr, opts.now) : silentSpinner;
  const output: Output = {
    json: opts.json,
    outStyle,
    errStyle,
    spinner,
    out(text) {
      spinner.stop();
      io.stdout.write(text);
    },
    err(text) {
      spinner.stop();
      io.stderr.write(text);
    },
    jsonLine(event, data) {
      output.out(`${JSON.stringify({ event, data })}\n`);
    },
    fail(message, data = {}) {
      if (opts.json) output.jsonLine("client.error", { message, ...data });
      else output.err(`${errStyle.red(`error: ${message}`)}\n`);
    },
  };
  return output;
}
