import type { Agent } from "undici";
import { closedLoop, stagedRequest } from "./client.js";
import { QUESTION, ZERO_LATENCY } from "./config.js";
import { collectGarbage, inspectorUrl } from "./inspector.js";
import { configureMock, takeTrace } from "./mock-control.js";
import { rssBytes, type Proc } from "./procs.js";
import { stagedOnce } from "./throughput.js";

export interface MemoryResult {
  streams: number;
  /** Streams that reached `summary.prompt` (the response committed) before the measurement. */
  open: number;
  rssIdleBytes: number;
  rssOpenBytes: number;
  bytesPerStream: number;
  /** V8 heap in use after a full GC, through the gateway's inspector (null when it has none). */
  heapIdleBytes: number | null;
  heapOpenBytes: number | null;
  openSeconds: number;
}

/** How the memory run loads a relay before measuring, and how it parks one stream on it. */
export interface ParkedRelay {
  /** Extra mock options for this relay (e.g. the answer text of a plain model). */
  mock?: Record<string, unknown>;
  warm(url: string): Promise<unknown>;
  /** Start one stream; `onOpen` once it is committed (the client has its first bytes). */
  park(url: string, signal: AbortSignal, onOpen: () => void): Promise<unknown>;
}

/** Our staged route: open once `summary.prompt` is in. */
function stagedRelay(agent: Agent, url: string): ParkedRelay {
  return {
    warm: () => stagedOnce(agent, url)(),
    park: (u, signal, onOpen) =>
      stagedRequest(
        agent,
        u,
        { model: "mock-tagged", messages: [{ role: "user", content: QUESTION }], stream: true },
        {
          signal,
          onEvent: (e) => {
            if (e.name === "summary.prompt") onOpen();
          },
        },
      ),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A full GC when the gateway has an inspector, then RSS a few times, a moment apart; the largest,
 * so a transient dip cannot flatter the figure.
 */
async function settled(gateway: Proc, sampleMs: number): Promise<{ rss: number; heap: number | null }> {
  const url = inspectorUrl(gateway.log());
  const heap = url === undefined ? null : (await collectGarbage(url)).usedBytes;
  await sleep(sampleMs * 1.5);
  return { rss: await rss(gateway.pid, sampleMs), heap };
}

async function rss(pid: number, sampleMs: number): Promise<number> {
  let max = 0;
  for (let i = 0; i < 3; i++) {
    max = Math.max(max, rssBytes(pid));
    await sleep(sampleMs);
  }
  return max;
}

/**
 * N streams parked in a long reasoning phase on a freshly started gateway: RSS before and with
 * them open, each after a full GC. A fresh process per N, because an earlier load leaves a grown
 * heap behind that would hide the streams' cost.
 */
export async function runMemory(o: {
  agent: Agent;
  mockUrl: string;
  streams: number;
  startGateway: () => Promise<Proc>;
  settleMs?: number;
  /** Pause between RSS samples (ms); a smoke test shortens it. */
  sampleMs?: number;
  /** Requests before the idle reading (default 50). */
  warmRequests?: number;
  /** Another relay than our staged route (the side-by-side section): how to load and park it. */
  relay?: ParkedRelay;
}): Promise<MemoryResult> {
  const gateway = await o.startGateway();
  const relay = o.relay ?? stagedRelay(o.agent, gateway.url);
  const aborts: AbortController[] = [];
  const pending: Promise<unknown>[] = [];
  try {
    await configureMock(o.agent, o.mockUrl, { ...relay.mock, latency: ZERO_LATENCY });
    await closedLoop({ concurrency: 10, total: o.warmRequests ?? 50 }, () => relay.warm(gateway.url));
    await sleep(o.settleMs ?? 1000);
    const idle = await settled(gateway, o.sampleMs ?? 200);

    // Headers and summaries at once, then silence: every stream sits in reasoning (or, for a
    // model without reasoning, before its first answer chunk).
    await configureMock(o.agent, o.mockUrl, { ...relay.mock, latency: { ...ZERO_LATENCY, reasoningChunkMs: 240_000, answerChunkMs: 240_000 } });
    const started = performance.now();
    let open = 0;
    // Open at most 200 at a time: a burst beyond the listen backlog only measures SYN retries.
    await closedLoop({ concurrency: Math.min(200, o.streams), total: o.streams }, async () => {
      const abort = new AbortController();
      aborts.push(abort);
      await new Promise<void>((resolve) => {
        const run = relay.park(gateway.url, abort.signal, () => {
          open++;
          resolve();
        });
        pending.push(run.then(() => resolve()));
      });
    });
    const openSeconds = (performance.now() - started) / 1000;
    await sleep(o.settleMs ?? 3000);
    const busy = await settled(gateway, o.sampleMs ?? 200);
    return {
      streams: o.streams,
      open,
      rssIdleBytes: idle.rss,
      rssOpenBytes: busy.rss,
      bytesPerStream: Math.round((busy.rss - idle.rss) / Math.max(1, open)),
      heapIdleBytes: idle.heap,
      heapOpenBytes: busy.heap,
      openSeconds: Math.round(openSeconds * 100) / 100,
    };
  } finally {
    for (const a of aborts) a.abort();
    await Promise.allSettled(pending);
    await gateway.stop();
    await configureMock(o.agent, o.mockUrl, { latency: ZERO_LATENCY });
    await takeTrace(o.agent, o.mockUrl, 0);
  }
}
