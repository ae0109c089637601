import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROCESS_TEST_MS, READY_MS } from "../helpers/bounds.js";
import { freePort } from "../helpers/net.js";
import { childEnv, spawnProcess, startGatewayProcess, waitForHttp, type Spawned } from "../helpers/process.js";
import { answerOf, first, postStaged, stagedOrder } from "../helpers/sse.js";

/**
 * The gateway against an OpenAI-compatible server that is not ours (@dwmkerr/mock-llm, an echo
 * server from npm), both as separate processes configured only through SPEC §5 variables.
 * mock-llm answers with the last user message, so a message carrying <think> tags comes back
 * as a reasoning model's answer would.
 */
const require = createRequire(import.meta.url);
const mockLlmMain = require.resolve("@dwmkerr/mock-llm/dist/main.js");
const children: Spawned[] = [];
let dataDir = "";
let gatewayUrl = "";

beforeAll(async () => {
  const upstreamPort = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), "gw-independent-"));
  const upstream = spawnProcess(process.execPath, [mockLlmMain], { env: childEnv({ PORT: String(upstreamPort), HOST: "127.0.0.1" }) });
  children.push(upstream);
  await waitForHttp(`http://127.0.0.1:${upstreamPort}/v1/models`, READY_MS, upstream.output);
  const gateway = await startGatewayProcess({ UPSTREAM_BASE_URL: `http://127.0.0.1:${upstreamPort}/v1`, DATA_DIR: dataDir });
  children.push(gateway);
  gatewayUrl = gateway.url;
}, PROCESS_TEST_MS);

afterAll(async () => {
  for (const c of children) await c.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("against an independent OpenAI-compatible upstream", { timeout: PROCESS_TEST_MS }, () => {
  it("stages a <think> answer: summaries, then the answer without tags", async () => {
    const content = "<think>The user wants a greeting. A short friendly one is best.</think>Hello there, nice to meet you!";
    const r = await postStaged(gatewayUrl, { model: "gpt-4", messages: [{ role: "user", content }] });
    expect(r.status).toBe(200);
    expect(stagedOrder(r)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.done"]);
    expect(answerOf(r)).toBe("Hello there, nice to meet you!");
    expect(first(r, "summary.reasoning").data).toMatchObject({ source: "model", text: expect.stringContaining("greeting") });
  });

  it("answers stream:false and reports upstream health", async () => {
    const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4", stream: false, messages: [{ role: "user", content: "Plain answer." }] }),
    });
    expect(await res.json()).toMatchObject({ choices: [{ message: { content: "Plain answer." } }], reasoning_summary: { source: "empty", text: "" } });
    expect((await fetch(`${gatewayUrl}/upstream-health`)).status).toBe(200);
  });
});
