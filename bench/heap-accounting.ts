/**
 * Where a parked stream's heap goes (`node --import tsx bench/heap-accounting.ts`): the compiled
 * gateway with an inspector, the bench mock, HEAP_STREAMS streams (default 1,000) parked in
 * reasoning (headers and summaries at once, the first reasoning chunk 240 s away), and a heap
 * snapshot before and with them open. Prints the V8 heap in use per stream (the side-by-side
 * figure) and the snapshot's difference per stream by constructor, closure and internal kind.
 * HEAP_MODEL / HEAP_PATH pick the request (default: a reasoning model on the staged route);
 * HEAP_TOP how many rows, HEAP_DETAIL (`;`-separated labels) which rows to split by their holder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { closedLoop, createAgent } from "./client.js";
import { QUESTION, ZERO_LATENCY } from "./config.js";
import { heapDiff, summarizeSnapshot, takeHeapSnapshot } from "./heap-snapshot.js";
import { collectGarbage, inspectorUrl } from "./inspector.js";
import { configureMock } from "./mock-control.js";
import { onFreePort, spawnGateway, spawnMock } from "./procs.js";

const streams = Number(process.env.HEAP_STREAMS ?? "1000");
const model = process.env.HEAP_MODEL ?? "mock-tagged";
const path = process.env.HEAP_PATH ?? "/v1/chat/completions";
const top = Number(process.env.HEAP_TOP ?? "45");
// Labels to split by what holds them (`HEAP_DETAIL="Array;Map"`).
const detail = new Set((process.env.HEAP_DETAIL ?? "").split(";").filter(Boolean));
const dir = mkdtempSync(join(tmpdir(), "sgw-heap-"));

const agent = createAgent();
const mock = await onFreePort((port) => spawnMock(port, { latency: ZERO_LATENCY }));
const gateway = await onFreePort((port) => spawnGateway(port, `${mock.url}/v1`, {}, ["--inspect=127.0.0.1:0"]));
const url = inspectorUrl(gateway.log());
if (url === undefined) throw new Error(`the gateway printed no inspector URL:\n${gateway.log()}`);
const body = JSON.stringify({ model, messages: [{ role: "user", content: QUESTION }], stream: true });
const aborts: AbortController[] = [];
const pending: Promise<unknown>[] = [];

/** One stream; resolves once its first bytes are in (it is committed), keeps reading until aborted. */
function park(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const run = request(`${gateway.url}${path}`, {
      dispatcher: agent,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      ...(signal && { signal }),
    }).then(async (res) => {
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${await res.body.text()}`);
      for await (const _ of res.body) resolve();
    });
    pending.push(
      run.then(
        () => resolve(),
        (e: unknown) => (signal?.aborted ? resolve() : reject(e as Error)),
      ),
    );
  });
}

try {
  await closedLoop({ concurrency: 10, total: 200 }, () => park());
  await Promise.all(pending.splice(0));
  const idleHeap = (await collectGarbage(url)).usedBytes;
  await takeHeapSnapshot(url, join(dir, "idle.heapsnapshot"));

  await configureMock(agent, mock.url, { latency: { ...ZERO_LATENCY, reasoningChunkMs: 240_000, answerChunkMs: 240_000 } });
  await closedLoop({ concurrency: Math.min(200, streams), total: streams }, async () => {
    const a = new AbortController();
    aborts.push(a);
    await park(a.signal);
  });
  const openHeap = (await collectGarbage(url)).usedBytes;
  await takeHeapSnapshot(url, join(dir, "open.heapsnapshot"));

  const { rows, totalBytes } = heapDiff(
    summarizeSnapshot(join(dir, "idle.heapsnapshot"), detail),
    summarizeSnapshot(join(dir, "open.heapsnapshot"), detail),
    streams,
  );
  const kb = (b: number): string => (b / 1024).toFixed(2);
  console.log(`${streams} streams parked on ${path} (${model})`);
  console.log(`V8 heap in use per stream (after GC): ${kb((openHeap - idleHeap) / streams)} KB; snapshot self sizes per stream: ${kb(totalBytes)} KB`);
  console.log(`| what | per stream | bytes | share |\n| --- | ---: | ---: | ---: |`);
  for (const r of rows.slice(0, top)) {
    console.log(`| ${r.key.replaceAll("|", "\\|")} | ${r.count.toFixed(2)} | ${r.bytes.toFixed(0)} | ${((100 * r.bytes) / totalBytes).toFixed(1)} % |`);
  }
  // Below the top rows: owners that come with every stream, and code, feedback and caches that
  // V8 grew meanwhile (no new owner per stream), which a longer warm-up would have grown anyway.
  const rest = rows.slice(top);
  const perStream = rest.filter((r) => Math.abs(r.count) >= 0.5);
  const sum = (rs: typeof rows): number => rs.reduce((s, r) => s + r.bytes, 0);
  const notPer = rest.length - perStream.length;
  console.log(
    `| ${perStream.length} more kinds of object, one or more per stream | | ${sum(perStream).toFixed(0)} | ${((100 * sum(perStream)) / totalBytes).toFixed(1)} % |`,
  );
  console.log(
    `| ${notPer} kinds grown without a new object per stream (code, feedback, caches) | | ${(sum(rest) - sum(perStream)).toFixed(0)} | ${((100 * (sum(rest) - sum(perStream))) / totalBytes).toFixed(1)} % |`,
  );
} finally {
  for (const a of aborts) a.abort();
  await Promise.allSettled(pending);
  await gateway.stop();
  await mock.stop();
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
}
