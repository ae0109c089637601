import { createParser } from "eventsource-parser";

export interface ReceivedEvent {
  event: string;
  data: Record<string, unknown>;
  /** performance.now() when the event's bytes arrived. */
  at: number;
}

export interface StagedResult {
  status: number;
  headers: Headers;
  events: ReceivedEvent[];
  comments: string[];
  raw: string;
  /** Present when the response was not a stream (a JSON error). */
  json: unknown;
}

export interface PostOptions {
  signal?: AbortSignal;
  /** Called on each event as it arrives (e.g. to abort mid-stream). */
  onEvent?: (e: ReceivedEvent) => void;
  headers?: Record<string, string>;
}

/** POST a chat request and read the whole staged stream, timestamping every event. */
export async function postStaged(baseUrl: string, body: unknown, opts: PostOptions = {}): Promise<StagedResult> {
  const res = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...opts.headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(opts.signal && { signal: opts.signal }),
  });
  const result: StagedResult = { status: res.status, headers: res.headers, events: [], comments: [], raw: "", json: undefined };
  if (!(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    result.raw = await res.text();
    result.json = JSON.parse(result.raw);
    return result;
  }
  const parser = createParser({
    onEvent: (e) => {
      const ev: ReceivedEvent = { event: e.event ?? "message", data: JSON.parse(e.data) as Record<string, unknown>, at: performance.now() };
      result.events.push(ev);
      opts.onEvent?.(ev);
    },
    onComment: (c) => result.comments.push(c.trim()),
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      result.raw += text;
      parser.feed(text);
    }
  } catch (e) {
    if (!opts.signal?.aborted) throw e;
  }
  return result;
}

export function names(r: StagedResult): string[] {
  return r.events.map((e) => e.event);
}

export function answerOf(r: StagedResult): string {
  return r.events
    .filter((e) => e.event === "output.delta")
    .map((e) => String(e.data.text))
    .join("");
}

export function first(r: StagedResult, name: string): ReceivedEvent {
  const e = r.events.find((x) => x.event === name);
  if (!e) throw new Error(`no ${name} event in ${names(r).join(",")}`);
  return e;
}

/** The staged events without `error`s, deltas collapsed: the order contract in one array. */
export function stagedOrder(r: StagedResult): string[] {
  return names(r)
    .filter((n) => n !== "error")
    .filter((n, i, all) => !(n === "output.delta" && all[i - 1] === "output.delta"));
}

export const userMessage = (content: string) => [{ role: "user", content }];

/** One SSE frame as a resumable stream sends it: its id, event name and parsed data. */
export interface Frame {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Read SSE frames from a response until `stopWhen` says so, then drop the connection (`abort`):
 * how a client that loses its network looks to the gateway.
 */
export async function readFrames(res: Response, stopWhen: (f: Frame) => boolean = () => false, abort?: AbortController): Promise<Frame[]> {
  const frames: Frame[] = [];
  let stop = false;
  const parser = createParser({
    onEvent: (e) => {
      if (stop) return;
      const f = { id: e.id, event: e.event ?? "message", data: JSON.parse(e.data) as Record<string, unknown> };
      frames.push(f);
      if (stopWhen(f)) stop = true;
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (stop) {
        abort?.abort();
        break;
      }
    }
  } catch (e) {
    if (!abort?.signal.aborted) throw e;
  }
  return frames;
}
