/**
 * Bytes the gateway allocates per request, and where (`node --import tsx bench/alloc-per-request.ts`,
 * after `make build`): the compiled gateway with an inspector, the bench mock at zero delay,
 * ALLOC_CONCURRENCY (50) closed-loop clients; after 1,000 warm-up requests, V8's sampling heap
 * profiler over ALLOC_REQUESTS (3,000) requests, keeping the samples of objects the GC already
 * collected (what drives GC time, unlike a heap snapshot or `--heap-prof`, which keep only the
 * survivors). Prints the sampled bytes per request and the top ALLOC_TOP (30) allocating functions
 * (a function inlined into its caller is charged to the caller). Unlike CPU time, the figure hardly
 * moves with other load on the machine. CPU_DIST picks another compiled copy (an A/B), CPU_MODEL /
 * CPU_PATH the request as in bench/cpu-per-request.ts.
 */
import { request } from "undici";
import { closedLoop, createAgent } from "./client.js";
import { QUESTION, ZERO_LATENCY } from "./config.js";
import { inspectorUrl, openInspector } from "./inspector.js";
import { onFreePort, spawnGateway, spawnMock } from "./procs.js";

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}

const n = Number(process.env.ALLOC_REQUESTS ?? "3000");
const concurrency = Number(process.env.ALLOC_CONCURRENCY ?? "50");
const top = Number(process.env.ALLOC_TOP ?? "30");
const model = process.env.CPU_MODEL ?? "mock-tagged";
const path = process.env.CPU_PATH ?? "/v1/chat/completions";
const dist = process.env.CPU_DIST ?? "dist";

const agent = createAgent();
const mock = await onFreePort((port) => spawnMock(port, { latency: ZERO_LATENCY }));
const gateway = await onFreePort((port) => spawnGateway(port, `${mock.url}/v1`, {}, ["--inspect=127.0.0.1:0"], "dist", dist));
const url = inspectorUrl(gateway.log());
if (url === undefined) throw new Error(`the gateway printed no inspector URL:\n${gateway.log()}`);
const session = await openInspector(url);
const body = JSON.stringify({ model, messages: [{ role: "user", content: QUESTION }], stream: true });

async function one(): Promise<void> {
  const res = await request(`${gateway.url}${path}`, { dispatcher: agent, method: "POST", headers: { "content-type": "application/json" }, body });
  await res.body.text();
}

try {
  await closedLoop({ concurrency, total: 1000 }, one);
  await session.call("HeapProfiler.enable");
  await session.call("HeapProfiler.startSampling", { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await closedLoop({ concurrency, total: n }, one);
  const { profile } = (await session.call("HeapProfiler.stopSampling")) as { profile: { head: SampleNode } };
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: SampleNode): void => {
    const f = node.callFrame;
    const site = `${f.functionName || "(anonymous)"}  ${f.url.replace(/.*node_modules\//, "").replace(/.*\/dist[^/]*\//, "")}:${f.lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    total += node.selfSize;
    node.children.forEach(walk);
  };
  walk(profile.head);
  console.log(`${dist} ${path} (${model}), c=${concurrency}: ${(total / n / 1024).toFixed(1)} KB allocated per request (sampled)`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(bytes / n).toFixed(0).padStart(7)} B/request ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${site}`);
  }
} finally {
  session.close();
  await gateway.stop();
  await mock.stop();
  await agent.close();
}
