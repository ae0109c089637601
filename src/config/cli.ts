import { Command } from "commander";
import { ENV_GROUPS } from "./groups.js";

/** What `--help` says after the options: every variable, by group. */
export function variablesHelp(): string {
  const groups = ENV_GROUPS.map((g) => `  ${g.title}:\n${wrap(g.names.join(", "), 4, 100)}`).join("\n");
  return `
The gateway is configured by environment variables only (a .env file in the working directory
fills in what the environment leaves unset; empty means unset). Each is described in
docs/operations.md ("Configuration").

${groups}

Examples:
  $ staged-gateway                                  # 127.0.0.1:8000, upstream http://localhost:8001
  $ UPSTREAM_BASE_URL=https://api.example.com/v1 UPSTREAM_API_KEY=… staged-gateway
  $ PORT=9000 DATA_DIR=/var/lib/staged-gateway staged-gateway`;
}

function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.map((l) => `${" ".repeat(indent)}${l}`).join("\n");
}

/**
 * The gateway's command line: `--help` / `-h` and `--version` / `-V` print and exit 0 before
 * anything is read, opened or bound; anything else on the command line is a usage error (exit 1).
 * With no arguments it returns and the gateway starts.
 */
export function parseGatewayArgs(argv: readonly string[], version: string): void {
  new Command("staged-gateway")
    .description("The staged reasoning gateway: prompt summary, reasoning summary, then the live answer, in strict order.")
    .version(version, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "print this help and exit")
    .allowExcessArguments(false)
    .addHelpText("after", variablesHelp())
    .parse([...argv]);
}
