/**
 * The mock's Friendli dedicated-endpoint emulation over real sockets, in the published shapes
 * (friendliai/friendli-openapi, see README "Friendli"), and the whole wake-by-traffic flow through
 * a real gateway: a chat request to a sleeping endpoint answers 503 and wakes it, and the
 * gateway's retries get through once it runs.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseMockEnv, startMockUpstream, type DeepPartial, type EndpointStatusBody, type MockOptions, type RunningMock } from "../../mock-upstream/index.js";
import { useStack } from "../helpers/stack.js";
import { answerOf, postStaged, userMessage } from "../helpers/sse.js";

let running: RunningMock | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(options: DeepPartial<MockOptions>): Promise<RunningMock> {
  running = await startMockUpstream(options);
  return running;
}

function api(path: string, method = "GET", headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${running!.port}/dedicated/beta/endpoint/${path}`, { method, headers });
}

async function status(id: string): Promise<EndpointStatusBody> {
  return (await (await api(`${id}/status`)).json()) as EndpointStatusBody;
}

function chat(model: string): Promise<Response> {
  return fetch(`${running!.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: userMessage("Why is the sky blue?") }),
  });
}

/** Poll until `id` reports `want`, collecting what it said on the way (bounded generously). */
async function until(id: string, want: string): Promise<EndpointStatusBody[]> {
  const seen: EndpointStatusBody[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await status(id);
    seen.push(s);
    if (s.status === want) return seen;
    if (Date.now() > deadline) throw new Error(`${id} never reached ${want}: ${JSON.stringify(seen.at(-1))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const PHASE_ORDER = ["REQUESTING_VIRTUAL_MACHINE", "DOWNLOADING_MODEL", "ENGINE_INITIALIZING"];

describe("mock Friendli management API", () => {
  it("status: the published body (status, errorCode, createdAt, updatedAt, phase; no id)", async () => {
    await start({ endpoints: { "ep-a": { status: "SLEEPING" }, "ep-f": { status: "FAILED", errorCode: "INFERENCE_ENGINE_MEMORY_ERROR" } } });
    const res = await api("ep-a/status");
    expect(res.status).toBe(200);
    const b = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(b).sort()).toEqual(["createdAt", "errorCode", "phase", "status", "updatedAt"]);
    expect(b).toMatchObject({ status: "SLEEPING", errorCode: null, phase: null });
    expect(new Date(String(b.createdAt)).toISOString()).toBe(b.createdAt);
    expect(await status("ep-f")).toMatchObject({ status: "FAILED", errorCode: "INFERENCE_ENGINE_MEMORY_ERROR" });
  });

  it("unknown endpoints get 404 on every call", async () => {
    await start({ endpoints: { "ep-a": { status: "SLEEPING" } } });
    for (const [path, method] of [
      ["ep-nope/status", "GET"],
      ["ep-nope/wake", "PUT"],
      ["ep-nope/sleep", "PUT"],
      ["ep-nope/restart", "PUT"],
    ] as const) {
      const res = await api(path, method);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ detail: "Endpoint ep-nope not found" });
    }
  });

  it("wake: 200 AWAKING through the published phases to RUNNING; waking again is 200, never 409", async () => {
    await start({ wakeDelayMs: 600, endpoints: { "ep-a": { status: "SLEEPING" } } });
    const wake = await api("ep-a/wake", "PUT", { "X-Friendli-Team": "team-1" });
    expect(wake.status).toBe(200);
    expect(await wake.json()).toMatchObject({ status: "AWAKING", phase: "REQUESTING_VIRTUAL_MACHINE", errorCode: null });
    expect(running!.mock.managementCalls.at(-1)).toMatchObject({ action: "wake", team: "team-1", status: 200 });
    const seen = await until("ep-a", "RUNNING");
    const phases = seen.filter((s) => s.status === "AWAKING").map((s) => PHASE_ORDER.indexOf(s.phase ?? ""));
    expect(phases.every((p) => p >= 0)).toBe(true);
    expect([...phases].sort()).toEqual(phases);
    expect(seen.at(-1)).toMatchObject({ status: "RUNNING", phase: null });
    const again = await api("ep-a/wake", "PUT");
    expect(again.status).toBe(200);
    expect(((await again.json()) as EndpointStatusBody).status).toBe("RUNNING");
    expect((await chat("ep-a")).status).toBe(200);
  });

  it("wake by traffic: a chat request to a sleeping endpoint answers 503 and starts waking it", async () => {
    await start({ wakeDelayMs: 300, endpoints: { "ep-a": { status: "SLEEPING" } } });
    const refused = await chat("ep-a");
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      error: { message: "Endpoint is unavailable (AWAKING)", type: "service_unavailable", code: "endpoint_unavailable" },
    });
    expect((await status("ep-a")).status).toBe("AWAKING");
    await until("ep-a", "RUNNING");
    expect((await chat("ep-a")).status).toBe(200);
    // The wake came from traffic alone.
    expect(running!.mock.managementCalls.filter((c) => c.action === "wake")).toHaveLength(0);
  });

  it("FAILED/TERMINATED: wake is 400 with a reason, traffic does not wake them, restart brings them back", async () => {
    await start({ wakeDelayMs: 200, endpoints: { "ep-f": { status: "FAILED", errorCode: "WORKLOAD_INIT_DOWNLOAD_ERROR" }, "ep-t": { status: "TERMINATED" } } });
    for (const id of ["ep-f", "ep-t"]) {
      const wake = await api(`${id}/wake`, "PUT");
      expect(wake.status).toBe(400);
      expect(((await wake.json()) as { detail: string }).detail).toContain("Restart it instead");
      expect((await chat(id)).status).toBe(503);
      expect((await status(id)).status).not.toBe("AWAKING");
      const restart = await api(`${id}/restart`, "PUT");
      expect(restart.status).toBe(200);
      expect(await restart.json()).toMatchObject({ status: "INITIALIZING", errorCode: null });
      await until(id, "RUNNING");
    }
    const again = await api("ep-f/restart", "PUT");
    expect(again.status).toBe(400);
  });

  it("sleep puts a running endpoint to sleep; a stuck one never finishes waking", async () => {
    await start({ wakeDelayMs: 50, endpoints: { "ep-r": { status: "RUNNING" }, "ep-s": { status: "SLEEPING", stuck: true } } });
    const sleep = await api("ep-r/sleep", "PUT");
    expect(sleep.status).toBe(200);
    expect(((await sleep.json()) as EndpointStatusBody).status).toBe("SLEEPING");
    expect((await chat("ep-r")).status).toBe(503);
    await api("ep-s/wake", "PUT");
    await new Promise((r) => setTimeout(r, 150));
    expect(await status("ep-s")).toMatchObject({ status: "AWAKING", phase: "ENGINE_INITIALIZING" });
  });

  it("requires the management token when set", async () => {
    await start({ managementToken: "secret", endpoints: { "ep-a": { status: "RUNNING" } } });
    expect((await api("ep-a/status")).status).toBe(401);
    expect((await api("ep-a/status", "GET", { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await api("ep-a/status", "GET", { authorization: "Bearer secret" })).status).toBe(200);
  });

  it("declares endpoints through MOCK_ENDPOINTS and /_mock/config, and names bad ones", async () => {
    const env = parseMockEnv({ MOCK_ENDPOINTS: "ep-x=SLEEPING, ep-y=FAILED:WORKLOAD_INIT_DOWNLOAD_ERROR, ep-z=SLEEPING:stuck" });
    expect(env.ok && env.value.options.endpoints).toEqual({
      "ep-x": { status: "SLEEPING" },
      "ep-y": { status: "FAILED", errorCode: "WORKLOAD_INIT_DOWNLOAD_ERROR" },
      "ep-z": { status: "SLEEPING", stuck: true },
    });
    const bad = parseMockEnv({ MOCK_ENDPOINTS: "ep-x=ASLEEP" });
    expect(bad.ok ? [] : bad.problems).toEqual(['MOCK_ENDPOINTS: "ep-x=ASLEEP" is not ID=SLEEPING|RUNNING|FAILED|TERMINATED[:stuck|:ERROR_CODE]']);

    await start({});
    expect((await status("ep-demo")).status).toBe("SLEEPING");
    const res = await fetch(`http://127.0.0.1:${running!.port}/_mock/config`, {
      method: "POST",
      body: JSON.stringify({ endpoints: { "ep-new": { status: "RUNNING" } } }),
    });
    expect(res.status).toBe(200);
    expect((await status("ep-new")).status).toBe("RUNNING");
    expect((await api("ep-demo/status")).status).toBe(404);
  });
});

describe("wake by traffic through the gateway", () => {
  const stack = useStack();

  it("the gateway's retries of the 503 carry the request through once the endpoint runs", async () => {
    const { gateway, mock } = await stack({ wakeDelayMs: 300, endpoints: { "ep-a": { status: "SLEEPING" } } }, { UPSTREAM_MAX_RETRIES: "5" });
    const r = await postStaged(gateway.url, { model: "ep-a", messages: userMessage("Why is the sky blue?") });
    expect(r.status).toBe(200);
    expect(answerOf(r)).toBe(mock.mock.options.answerText);
    const chats = mock.mock.calls.filter((c) => c.kind === "chat");
    expect(chats[0]?.status).toBe(503);
    expect(chats.at(-1)?.status).toBe(200);
  }, 60_000);
});
