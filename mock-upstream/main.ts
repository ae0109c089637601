// CLI entry for humans and `make mock-upstream`: read the environment, serve, stop on a signal.
import { parseMockEnv } from "./env.js";
import { startMockUpstream } from "./server.js";

async function main(): Promise<void> {
  const parsed = parseMockEnv(process.env);
  if (!parsed.ok) {
    process.stderr.write(`mock upstream: invalid environment:\n${parsed.problems.map((p) => `  - ${p}`).join("\n")}\n`);
    process.exit(1);
  }
  const { port, host, options } = parsed.value;
  const running = await startMockUpstream({ ...options, port, host });
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${running.port}`;
  process.stdout.write(`mock upstream listening on ${origin} (OpenAI base URL ${origin}/v1; native kinds anthropic, gemini, ollama: base_url ${origin})\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`mock upstream: error while closing: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`mock upstream failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
