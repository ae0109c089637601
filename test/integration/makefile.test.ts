/**
 * The make targets read PORT, HOST and GATEWAY_URL the way the gateway and the client do: command
 * line, then environment, then `.env`, then the defaults. Checked with `make -n` (print, do not
 * run) in a scratch directory holding a `.env`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const MAKEFILE = resolve(import.meta.dirname, "../../Makefile");
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `make -n TARGETS` in a directory whose `.env` is `dotenv`; returns the commands make would run. */
function dryRun(dotenv: string | undefined, targets: string[], env: Record<string, string> = {}, vars: string[] = []): string {
  dir = mkdtempSync(join(tmpdir(), "make-env-"));
  // Stand-ins so the install step counts as done and nothing is installed.
  for (const folder of [".", "tools/typescript-7"]) {
    mkdirSync(join(dir, folder, "node_modules"), { recursive: true });
    for (const f of ["package.json", "package-lock.json"]) writeFileSync(join(dir, folder, f), "{}");
    writeFileSync(join(dir, folder, "node_modules/.installed"), "");
  }
  if (dotenv !== undefined) writeFileSync(join(dir, ".env"), dotenv);
  // stdin ignored, as spawnProcess does: on a socket (Node's default pipe) and without SHLVL, the
  // bash that make's $(shell) starts takes itself for an ssh session and runs ~/.bashrc first.
  return execFileSync("make", ["--no-print-directory", "-n", "-C", dir, "-f", MAKEFILE, ...targets, ...vars], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describe("Makefile and .env", () => {
  it("uses the defaults without a .env", () => {
    const out = dryRun(undefined, ["run-gateway", "run-client", "health-gateway"]);
    expect(out).toContain("PORT=8000 HOST=127.0.0.1 node dist/src/main.js");
    expect(out).toContain("client/bin.ts --url http://127.0.0.1:8000 ");
    expect(out).toContain("http://127.0.0.1:8000/healthz");
  });

  it("honours PORT and HOST from .env in every target, quotes and comments allowed", () => {
    const out = dryRun('# mine\nPORT=9123\nHOST="127.0.0.5"\nGATEWAY_URL=\nUPSTREAM_API_KEY=sk-$weird\n', [
      "run-gateway",
      "run-client",
      "health-upstream",
      "demo",
    ]);
    expect(out).toContain("PORT=9123 HOST=127.0.0.5 node dist/src/main.js");
    expect(out).toContain("--url http://127.0.0.5:9123 ");
    expect(out).toContain("http://127.0.0.5:9123/upstream-health");
    expect(out).toContain("PORT=9123 HOST=127.0.0.5");
  });

  it("lets the environment and the command line win over .env", () => {
    expect(dryRun("PORT=9123\n", ["run-gateway"], { PORT: "9200" })).toContain("PORT=9200 HOST=127.0.0.1 node dist/src/main.js");
    expect(dryRun("PORT=9123\n", ["run-gateway"], { PORT: "9200" }, ["PORT=9300"])).toContain("PORT=9300 HOST=127.0.0.1 node dist/src/main.js");
  });

  it("takes GATEWAY_URL from .env as a base URL (a full chat URL still works), and reaches 0.0.0.0 through loopback", () => {
    expect(dryRun("GATEWAY_URL=http://10.1.2.3:4000\n", ["run-client", "health-gateway"])).toMatch(
      /--url http:\/\/10\.1\.2\.3:4000 [\s\S]*http:\/\/10\.1\.2\.3:4000\/healthz/,
    );
    expect(dryRun("GATEWAY_URL=http://10.1.2.3:4000/v1/chat/completions\n", ["health-gateway"])).toContain("http://10.1.2.3:4000/healthz");
    expect(dryRun("HOST=0.0.0.0\nPORT=8100\n", ["run-client"])).toContain("--url http://127.0.0.1:8100 ");
  });

  it("passes KEEP to the demo", () => {
    expect(dryRun(undefined, ["demo"], {}, ["KEEP=1"])).toContain('KEEP="1"');
  });
});
