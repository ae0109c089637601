/**
 * A test sets its own environment: a hostile `.env` in the checkout (keys, another port, a dead
 * upstream, the request log pointed into the checkout) changes nothing for the spawned gateway, a
 * replica or the client binary, because they run from scratch directories with an explicit
 * environment. The user's own `.env`, if any, is moved aside for the test and put back after it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { HEADINGS } from "../../client/render.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { CHECKOUT_DOTENV, withCheckoutDotenv } from "../helpers/dotenv.js";
import { childEnv, DIST, ROOT, scratchDir, spawnProcess, startGatewayProcess, type Spawned } from "../helpers/process.js";
import { startReplica, type ReplicaProcess } from "../helpers/replicas.js";
import { answerOf, postStaged, stagedOrder, userMessage } from "../helpers/sse.js";

const HOSTILE = [
  "GATEWAY_API_KEYS=hostile-key",
  "ADMIN_TOKEN=hostile-admin-token-123456",
  "PORT=1",
  "HOST=0.0.0.0",
  "UPSTREAM_BASE_URL=http://127.0.0.1:9/v1",
  "REQUEST_LOG=true",
  "DATA_DIR=./hostile-data",
  "LOG_LEVEL=silent",
  "GATEWAY_URL=http://127.0.0.1:9",
  "GATEWAY_API_KEY=hostile-key",
  "",
].join("\n");

let mock: RunningMock | undefined;
const spawned: Spawned[] = [];
const replicas: ReplicaProcess[] = [];
afterEach(async () => {
  for (const p of spawned.splice(0)) await p.kill();
  for (const r of replicas.splice(0)) await r.kill("SIGKILL");
  await mock?.close();
  mock = undefined;
});

describe("a .env in the checkout", { timeout: PROCESS_TEST_MS }, () => {
  it("changes nothing for the spawned gateway, a replica or the client", async () => {
    const before = existsSync(CHECKOUT_DOTENV) ? readFileSync(CHECKOUT_DOTENV, "utf8") : undefined;
    mock = await startMockUpstream();
    const upstream = mock.baseUrl;
    await withCheckoutDotenv(HOSTILE, async () => {
      expect(existsSync(CHECKOUT_DOTENV)).toBe(true);
      const [gw, replica] = await Promise.all([
        startGatewayProcess({ UPSTREAM_BASE_URL: upstream, REQUEST_LOG: "false" }),
        startReplica({ UPSTREAM_BASE_URL: upstream }),
      ]);
      spawned.push(gw);
      replicas.push(replica);
      for (const url of [gw.url, replica.url]) {
        // Open (no keys from .env), on loopback, talking to the mock (not the dead upstream).
        expect(new URL(url).hostname).toBe("127.0.0.1");
        expect((await fetch(`${url}/v1/models`)).status).toBe(200);
        const r = await postStaged(url, { model: "mock-tagged", messages: userMessage("Why is the sky blue?") });
        expect(stagedOrder(r)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.done"]);
        expect(answerOf(r).length).toBeGreaterThan(0);
      }
      expect(gw.output()).toContain("open: no GATEWAY_API_KEYS or ADMIN_TOKEN");

      const cwd = scratchDir("client-");
      try {
        const client = spawnProcess(process.execPath, [DIST.client, "Why is the sky blue?"], { cwd: cwd.dir, env: childEnv({ GATEWAY_URL: gw.url }) });
        spawned.push(client);
        const { code } = await client.exited;
        expect(code, client.output()).toBe(0);
        expect(client.out()).toContain(HEADINGS.output);
        expect(client.out()).toContain("[done]");
      } finally {
        cwd.remove();
      }
    });
    // Nothing of the hostile settings landed in the checkout, and its .env is as it was.
    expect(existsSync(join(ROOT, "hostile-data"))).toBe(false);
    expect(existsSync(CHECKOUT_DOTENV) ? readFileSync(CHECKOUT_DOTENV, "utf8") : undefined).toBe(before);
  });
});
