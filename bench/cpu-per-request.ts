/**
 * Gateway CPU per request, read inside the gateway (`node --import tsx bench/cpu-per-request.ts`):
 * the compiled gateway with an inspector, the bench mock at zero delay, CPU_CONCURRENCY (50)
 * closed-loop clients. After a warm-up, CPU_ROUNDS (7) rounds of CPU_REQUESTS (2,000) requests,
 * each bracketed by the gateway's own `process.cpuUsage()` (µs, not /proc's 10 ms ticks): a
 * figure that other load on the machine slows down but hardly changes. Prints each round and
 * the median. CPU_MODEL / CPU_PATH pick the request (default: staged, a reasoning model);
 * CPU_DIST another compiled copy of the gateway (an A/B: `cp -r dist dist-before` first).
 */
import { request } from "undici";
import { closedLoop, createAgent } from "./client.js";
import { QUESTION, ZERO_LATENCY } from "./config.js";
import { evaluate, inspectorUrl } from "./inspector.js";
import { onFreePort, spawnGateway, spawnMock } from "./procs.js";

const rounds = Number(process.env.CPU_ROUNDS ?? "7");
const perRound = Number(process.env.CPU_REQUESTS ?? "2000");
const concurrency = Number(process.env.CPU_CONCURRENCY ?? "50");
const model = process.env.CPU_MODEL ?? "mock-tagged";
const path = process.env.CPU_PATH ?? "/v1/chat/completions";

const agent = createAgent();
const mock = await onFreePort((port) => spawnMock(port, { latency: ZERO_LATENCY }));
const gateway = await onFreePort((port) => spawnGateway(port, `${mock.url}/v1`, {}, ["--inspect=127.0.0.1:0"], "dist", process.env.CPU_DIST ?? "dist"));
const url = inspectorUrl(gateway.log());
if (url === undefined) throw new Error(`the gateway printed no inspector URL:\n${gateway.log()}`);
const body = JSON.stringify({ model, messages: [{ role: "user", content: QUESTION }], stream: true });
const endMarker = path.startsWith("/openai") ? "[DONE]" : "output.done";

let failed = 0;
async function one(): Promise<void> {
  const res = await request(`${gateway.url}${path}`, { dispatcher: agent, method: "POST", headers: { "content-type": "application/json" }, body });
  const text = await res.body.text();
  if (res.statusCode !== 200 || !text.includes(endMarker)) failed++;
}

const cpuUs = async (): Promise<number> => {
  const u = await evaluate<{ user: number; system: number }>(url, "process.cpuUsage()");
  return u.user + u.system;
};

try {
  await closedLoop({ concurrency, total: Math.max(1000, perRound) }, one);
  const perRequest: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = await cpuUs();
    const t0 = performance.now();
    await closedLoop({ concurrency, total: perRound }, one);
    const seconds = (performance.now() - t0) / 1000;
    const us = ((await cpuUs()) - before) / perRound;
    perRequest.push(us);
    console.log(`round ${r + 1}: ${(us / 1000).toFixed(3)} ms CPU/request, ${(perRound / seconds).toFixed(0)} requests/s`);
  }
  const sorted = [...perRequest].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  console.log(
    `${path} (${model}), c=${concurrency}: median ${(median / 1000).toFixed(3)} ms CPU/request (min ${((sorted[0] ?? NaN) / 1000).toFixed(3)}, max ${((sorted.at(-1) ?? NaN) / 1000).toFixed(3)}), ${failed} failed`,
  );
} finally {
  await gateway.stop();
  await mock.stop();
  await agent.close();
}
