/**
 * A CPU profile of the gateway under one steady load, for finding where the time goes
 * (`make profile`, or `node --import tsx bench/profile-run.ts`): the compiled gateway with
 * --cpu-prof, the bench mock at zero delay, PROFILE_CONCURRENCY closed-loop clients for
 * PROFILE_SECONDS, then the top self-time functions. PROFILE_MODEL picks staged (a reasoning
 * model: three calls) or plain; PROFILE_PATH the surface.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { mainProfile, summarizeProfile } from "./profile.js";
import { cpuMs, onFreePort, spawnGateway, spawnMock } from "./procs.js";

const seconds = Number(process.env.PROFILE_SECONDS ?? "8");
const concurrency = Number(process.env.PROFILE_CONCURRENCY ?? "50");
const model = process.env.PROFILE_MODEL ?? "mock-tagged";
const path = process.env.PROFILE_PATH ?? "/v1/chat/completions";
const dir = mkdtempSync(join(tmpdir(), "sgw-profile-"));

const mock = await onFreePort((port) =>
  spawnMock(port, { latency: { headersMs: 0, reasoningChunkMs: 0, answerChunkMs: 0, promptSummaryMs: 0, reasoningSummaryMs: 0 } }),
);
const gateway = await onFreePort((port) =>
  spawnGateway(port, `${mock.url}/v1`, { LOG_LEVEL: "warn", REQUEST_LOG: "false" }, [`--cpu-prof`, `--cpu-prof-dir=${dir}`]),
);
const agent = new Agent({ connections: concurrency * 2 });
const body = JSON.stringify({ model, messages: [{ role: "user", content: "Why is the sky blue?" }], stream: true });

let done = 0;
let failed = 0;
async function one(): Promise<void> {
  const res = await request(`${gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body, dispatcher: agent });
  const text = await res.body.text();
  if (res.statusCode !== 200 || !(text.includes("output.done") || text.includes("[DONE]"))) failed++;
  done++;
}
// Warm up V8 on the request path first.
const warmUntil = performance.now() + 2_000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < warmUntil) await one();
  }),
);
done = 0;
const cpu0 = cpuMs(gateway.pid);
const until = performance.now() + seconds * 1000;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) await one();
  }),
);
const elapsed = (performance.now() - t0) / 1000;
const cpu = cpuMs(gateway.pid) - cpu0;
await gateway.stop();
await mock.stop();
await agent.close();
console.log(
  `${done} requests in ${elapsed.toFixed(1)} s = ${(done / elapsed).toFixed(0)}/s, ${failed} failed, gateway CPU ${(cpu / done).toFixed(3)} ms/request`,
);
const file = mainProfile(dir);
if (file) {
  const s = summarizeProfile(file, Number(process.env.PROFILE_TOP ?? "40"));
  console.log(`profile ${s.file}: ${s.sampledMs.toFixed(0)} ms sampled, ${s.idleMs.toFixed(0)} ms idle`);
  for (const e of s.top) console.log(`${e.pct.toFixed(1).padStart(5)} %  ${e.selfMs.toFixed(0).padStart(6)} ms  ${e.fn}  ${e.where}`);
}
