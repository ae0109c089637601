import { Command, CommanderError, Option } from "commander";
import { runChat } from "./chat.js";
import { checkDedicated, friendliConfig, wakeEndpoint } from "./dedicated.js";
import { ExitCode, exitCodeOf, exitWith } from "./exit.js";
import { envValue, resolveIO, type ClientIO } from "./io.js";
import {
  DEFAULT_TIMEOUT_S,
  defaultGatewayUrl,
  DEFAULT_WAKE_INTERVAL_S,
  DEFAULT_WAKE_TIMEOUT_S,
  httpUrl,
  integerIn,
  nonBlank,
  numberIn,
  SAMPLE_PROMPT,
  type ChatFlags,
} from "./options.js";
import { createOutput } from "./output.js";
import { clientVersion } from "./version.js";

const DAY_S = 86_400;

const HELP_AFTER = `
Environment: GATEWAY_URL, GATEWAY_API_KEY, FRIENDLI_ENDPOINT_ID; for --wake and check-dedicated also
FRIENDLI_TOKEN (else UPSTREAM_API_KEY), FRIENDLI_TEAM, FRIENDLI_API_BASE. A .env file is read when present.

Exit codes: 0 success, 1 gateway/upstream/endpoint error or timeout, 2 bad usage, 130 interrupted.

Examples:
  $ staged-client "Why is the sky blue?"
  $ GATEWAY_URL=http://127.0.0.1:8000 staged-client --prompt "Why is the sky blue?"
  $ staged-client --json --model mock-long-think | jq -c .
  $ FRIENDLI_ENDPOINT_ID=ep-abc123 staged-client --wake
  $ staged-client --wake --restart --yes --model ep-abc123   # restart a FAILED endpoint, no question
  $ staged-client check-dedicated --model ep-abc123`;

/**
 * The dedicated endpoint id: `--model` when given on the command line, else `FRIENDLI_ENDPOINT_ID`.
 * The gateway's default model is no endpoint, so it never counts.
 */
function endpointIdOf(program: Command, env: ClientIO["env"]): string | undefined {
  if (program.getOptionValueSource("model") === "cli") return program.opts<ChatFlags>().model;
  return envValue(env, "FRIENDLI_ENDPOINT_ID");
}

function usageError(program: Command, message: string): never {
  program.error(`error: ${message}`, { exitCode: ExitCode.usage, code: "client.usage" });
}

/**
 * Build the CLI. Nothing here touches `process`: output, environment, fetch, clock and Ctrl-C all
 * come from `io`. The program never calls `process.exit` — it throws a `CommanderError` carrying the
 * exit code, which {@link runProgram} turns into a number.
 */
export function createProgram(io: ClientIO): Command {
  const rio = resolveIO(io);
  const program = new Command("staged-client");
  // Set before adding subcommands: they inherit both settings.
  program.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) }).exitOverride((err) => {
    throw new CommanderError(exitCodeOf(err), err.code, err.message);
  });

  program
    .description("Ask the staged reasoning gateway: prompt summary, reasoning summary, then the live answer.")
    .version(io.version ?? clientVersion(), "-V, --version", "print the version and exit")
    .argument("[prompt...]", "the question (same as --prompt; quote it or not)")
    .addOption(
      new Option("--url <url>", "the gateway's base URL, e.g. http://127.0.0.1:8000 (env GATEWAY_URL)").default(defaultGatewayUrl(io.env)).argParser(httpUrl),
    )
    .addOption(
      new Option("--model <model>", "model, or dedicated endpoint id (env FRIENDLI_ENDPOINT_ID)")
        .default(envValue(io.env, "FRIENDLI_ENDPOINT_ID"), "the gateway's default, from GET /openai/v1/models")
        .argParser(nonBlank),
    )
    .option("--summary-model <model>", "model for the two summaries (default: the gateway's choice)", nonBlank)
    .addOption(new Option("--prompt <text>", "the question").default(SAMPLE_PROMPT, "a built-in sample question").argParser(nonBlank))
    .addOption(new Option("--message <text>", "alias of --prompt").argParser(nonBlank))
    .option("--system <text>", "a system message sent before the prompt")
    .option("--temperature <n>", "sampling temperature, 0 to 2", numberIn(0, 2))
    .option("--max-tokens <n>", "upper bound on generated tokens", integerIn(1, 10_000_000))
    .option("--json", "print one JSON line per event, for scripts")
    .option("--no-color", "plain text without colours")
    .option("--timeout <seconds>", "give up on the whole request after this long", numberIn(0, DAY_S, { minExclusive: true }), DEFAULT_TIMEOUT_S)
    .option("--wake", "wake the Friendli dedicated endpoint first and wait until it runs")
    .option("--wake-timeout <seconds>", "how long --wake waits for the endpoint", numberIn(0, DAY_S, { minExclusive: true }), DEFAULT_WAKE_TIMEOUT_S)
    .option("--wake-interval <seconds>", "seconds between status checks while waking", numberIn(0, 3600, { minExclusive: true }), DEFAULT_WAKE_INTERVAL_S)
    .option("--restart", "with --wake: restart a FAILED or TERMINATED endpoint (asks first)")
    .option("-y, --yes", "answer yes to the --restart question (for scripts)")
    .option("--api-key <key>", "gateway API key, sent as a bearer token (env GATEWAY_API_KEY)")
    .allowExcessArguments(false)
    .addHelpText("after", HELP_AFTER)
    .action(async (words: string[]) => {
      const opts = program.opts<ChatFlags>();
      // Boolean flags without a default are undefined when absent; the rest of the client wants booleans.
      // --restart only makes sense while bringing the endpoint up, so it implies --wake.
      const flags: ChatFlags = {
        ...opts,
        json: opts.json === true,
        wake: opts.wake === true || opts.restart === true,
        restart: opts.restart === true,
        yes: opts.yes === true,
      };
      const given = [
        program.getOptionValueSource("prompt") === "cli" ? "--prompt" : undefined,
        program.opts<{ message?: string }>().message !== undefined ? "--message" : undefined,
        words.length > 0 ? "a bare prompt" : undefined,
      ].filter((x) => x !== undefined);
      if (given.length > 1) usageError(program, `give the question once: ${given.join(" and ")} were both given`);
      const message = program.opts<{ message?: string }>().message;
      if (message !== undefined) flags.prompt = message;
      if (words.length > 0) {
        const bare = words.join(" ");
        if (bare.trim() === "") usageError(program, "the prompt is empty");
        flags.prompt = bare;
      }
      if (flags.yes && !flags.restart) usageError(program, "--yes only answers the --restart question: add --restart");
      flags.apiKey ??= envValue(io.env, "GATEWAY_API_KEY");
      // Defaults skip commander's argParser, so a bad GATEWAY_URL would otherwise surface as a fetch error.
      try {
        httpUrl(flags.url);
      } catch (err) {
        usageError(program, `GATEWAY_URL: ${err instanceof Error ? err.message : String(err)}`);
      }
      const output = createOutput(io, { json: flags.json, color: flags.color, now: rio.now });

      if (flags.wake) {
        const endpointId = endpointIdOf(program, io.env);
        if (!endpointId) usageError(program, "--wake needs a dedicated endpoint id: set FRIENDLI_ENDPOINT_ID or pass --model <endpoint-id>");
        const stop = await wakeEndpoint(rio, output, friendliConfig(io.env, endpointId), {
          timeoutMs: flags.wakeTimeout * 1000,
          intervalMs: flags.wakeInterval * 1000,
          restart: !flags.restart ? "never" : flags.yes ? "yes" : "ask",
        });
        if (stop !== undefined) exitWith(stop);
      }
      const code = await runChat(rio, output, flags);
      if (code !== ExitCode.ok) exitWith(code);
    });

  program
    .command("check-dedicated")
    .description("print a Friendli dedicated endpoint's status and phase; exit 0 when it is ready")
    .action(async () => {
      const flags = program.opts<ChatFlags>();
      const json = flags.json === true;
      const endpointId = endpointIdOf(program, io.env);
      if (!endpointId) usageError(program, "check-dedicated needs an endpoint id: set FRIENDLI_ENDPOINT_ID or pass --model <endpoint-id>");
      const output = createOutput(io, { json, color: flags.color, now: rio.now });
      const code = await checkDedicated(rio, output, friendliConfig(io.env, endpointId));
      if (code !== ExitCode.ok) exitWith(code);
    });

  return program;
}

/**
 * Parse and run, returning the exit code instead of exiting: what the binary and the tests share.
 * `from: "user"` takes bare arguments (tests); `"node"` takes `process.argv`.
 */
export async function runProgram(program: Command, argv: readonly string[], from: "user" | "node" = "user"): Promise<number> {
  try {
    await program.parseAsync([...argv], { from });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) return exitCodeOf(err);
    // A bug of ours: still one line, no stack trace for the user.
    program.configureOutput().writeErr?.(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.failure;
  }
}
