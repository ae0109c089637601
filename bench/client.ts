import { Agent, request } from "undici";
import { epochNow } from "./clock.js";

/** One SSE event as the load client saw it arrive. */
export interface Arrival {
  name: string;
  /** Epoch ms when the bytes carrying the event were read off the socket. */
  at: number;
  /** `output.delta`: characters of answer text it carried. */
  chars: number;
  data: Record<string, unknown>;
}

export interface StagedRun {
  sentAt: number;
  /** Response headers: the gateway's time to first byte. */
  headersAt: number;
  status: number;
  events: Arrival[];
  error?: string;
}

/**
 * A keep-alive connection pool with no per-origin cap: a bench at concurrency N must hold N
 * streams open at once, and no timeouts, because parked streams are silent by design.
 */
export function createAgent(): Agent {
  return new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
}

/**
 * Incremental SSE reader that only does what a timing client needs: split frames, read
 * `event:`/`data:`, stamp each with the arrival time of the chunk that completed it.
 */
function sseReader(onEvent: (name: string, data: string, at: number) => void) {
  let buffer = "";
  return (text: string, at: number): void => {
    buffer += text;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data !== "") onEvent(name, data, at);
    }
  };
}

const json = (s: string): Record<string, unknown> => JSON.parse(s) as Record<string, unknown>;

/** POST a staged request to the gateway and record every event's arrival. */
export async function stagedRequest(
  agent: Agent,
  gatewayUrl: string,
  body: unknown,
  opts: { signal?: AbortSignal; onEvent?: (e: Arrival) => void } = {},
): Promise<StagedRun> {
  const run: StagedRun = { sentAt: epochNow(), headersAt: NaN, status: 0, events: [] };
  try {
    const res = await request(`${gatewayUrl}/v1/chat/completions`, {
      dispatcher: agent,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      ...(opts.signal && { signal: opts.signal }),
    });
    run.headersAt = epochNow();
    run.status = res.statusCode;
    const feed = sseReader((name, data, at) => {
      const parsed = json(data);
      const e: Arrival = { name, at, chars: name === "output.delta" ? String(parsed.text).length : 0, data: name === "output.delta" ? {} : parsed };
      run.events.push(e);
      opts.onEvent?.(e);
    });
    res.body.setEncoding("utf8");
    for await (const chunk of res.body) feed(chunk as string, epochNow());
  } catch (e) {
    if (!opts.signal?.aborted) run.error = e instanceof Error ? e.message : String(e);
  }
  return run;
}

/** One frame of a streamed completion read straight from the mock. */
export interface DirectFrame {
  at: number;
  content?: string;
  reasoning?: string;
}

export interface DirectStream {
  sentAt: number;
  headersAt: number;
  frames: DirectFrame[];
  endAt: number;
}

/** A streamed completion straight to an OpenAI-compatible server (the mock). */
export async function directStream(agent: Agent, baseUrl: string, body: unknown, keepFrames = true): Promise<DirectStream> {
  const out: DirectStream = { sentAt: epochNow(), headersAt: NaN, frames: [], endAt: NaN };
  const res = await request(`${baseUrl}/chat/completions`, {
    dispatcher: agent,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  out.headersAt = epochNow();
  if (res.statusCode !== 200) throw new Error(`mock answered ${res.statusCode}: ${await res.body.text()}`);
  const feed = sseReader((_name, data, at) => {
    if (!keepFrames || data === "[DONE]") return;
    const delta = (json(data).choices as { delta?: Record<string, unknown> }[] | undefined)?.[0]?.delta ?? {};
    const frame: DirectFrame = { at };
    if (typeof delta.content === "string") frame.content = delta.content;
    const r = delta.reasoning_content ?? delta.reasoning;
    if (typeof r === "string") frame.reasoning = r;
    out.frames.push(frame);
  });
  res.body.setEncoding("utf8");
  for await (const chunk of res.body) feed(chunk as string, epochNow());
  out.endAt = epochNow();
  return out;
}

/** A non-streamed call (a summary) straight to the mock; resolves when the body is in. */
export async function directComplete(agent: Agent, baseUrl: string, body: unknown): Promise<{ sentAt: number; at: number; content: string }> {
  const sentAt = epochNow();
  const res = await request(`${baseUrl}/chat/completions`, {
    dispatcher: agent,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const parsed = (await res.body.json()) as { choices?: { message?: { content?: unknown } }[] };
  const content = parsed.choices?.[0]?.message?.content;
  return { sentAt, at: epochNow(), content: typeof content === "string" ? content : "" };
}

/**
 * A closed loop: `concurrency` workers each start the next request as soon as their previous one
 * ends, until `total` were started or `untilMs` (epoch) passed. Results keep their index order.
 * `staggerMs` spreads the workers' first starts over that span: requests of equal length started
 * together stay in lock-step, and every round would then measure a burst of N arrivals at once
 * rather than N streams in flight.
 */
export async function closedLoop<T>(
  opts: { concurrency: number; total?: number; untilMs?: number; staggerMs?: number },
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const more = (): boolean => (opts.total === undefined || next < opts.total) && (opts.untilMs === undefined || epochNow() < opts.untilMs);
  let workers = 0;
  const worker = async (): Promise<void> => {
    const delay = ((opts.staggerMs ?? 0) * workers++) / opts.concurrency;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    while (more()) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return results;
}
