import { CommanderError } from "commander";

/** The client's exit codes: scripts branch on these, so they are part of its contract. */
export const ExitCode = {
  ok: 0,
  /** The gateway, the upstream or the Friendli management API failed (or timed out). */
  failure: 1,
  /** Bad flags or a missing endpoint id: nothing was sent. */
  usage: 2,
  /** Interrupted (Ctrl-C / `io.signal`), like a shell reports SIGINT. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Commander's own error codes that mean "you called me wrong"; they become exit code 2. */
const USAGE_CODES = new Set([
  "commander.unknownOption",
  "commander.unknownCommand",
  "commander.missingArgument",
  "commander.optionMissingArgument",
  "commander.missingMandatoryOptionValue",
  "commander.invalidArgument",
  "commander.invalidOptionArgument",
  "commander.excessArguments",
  "commander.conflictingOption",
  "client.usage",
]);

/** The code we throw once the program has already printed why it stops. */
export const CLIENT_EXIT_CODE = "client.exit";

/**
 * Stop the current action with an exit code. The message has already been printed, so the
 * thrown error carries none; `runProgram` turns it into the exit code.
 */
export function exitWith(code: ExitCodeValue): never {
  throw new CommanderError(code, code === ExitCode.usage ? "client.usage" : CLIENT_EXIT_CODE, "");
}

/** The exit code a commander error stands for: usage errors are 2 whatever commander chose. */
export function exitCodeOf(err: CommanderError): number {
  if (USAGE_CODES.has(err.code)) return ExitCode.usage;
  return err.exitCode;
}
