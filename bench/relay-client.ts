import { request, type Agent } from "undici";
import { epochNow } from "./clock.js";

/**
 * How a relay's stream reads: `openai` — plain `chat.completion.chunk` frames (the floor, Portkey,
 * our `/openai/v1` surface), answer text in `choices[0].delta.content`, ending `data: [DONE]`;
 * `staged` — our `/v1` dialect, answer text in `output.delta`, ending with `output.done`.
 */
export type Dialect = "openai" | "staged";

/** One read off the socket that carried answer text: when, and how long the answer is so far. */
export interface Delivery {
  at: number;
  /** Answer characters (UTF-16 code units) received up to and including this read. */
  cum: number;
}

/** One SSE frame as the client saw it: an event (`message` when unnamed) or a `: comment` line. */
export interface SeenFrame {
  name: string;
  at: number;
  data: string;
}

export interface RelayRun {
  sentAt: number;
  /** Response headers in: the first bytes of the response. */
  headersAt: number;
  status: number;
  deliveries: Delivery[];
  /** Every frame, comments included; kept only when asked (the progress section needs them). */
  frames: SeenFrame[];
  /** The stream ended the way its dialect ends a success. */
  complete: boolean;
  error?: string;
}

export interface RelayRequestOptions {
  dialect: Dialect;
  headers?: Record<string, string>;
  keepFrames?: boolean;
  signal?: AbortSignal;
  /** Called once, with the first body bytes (a parked stream counts as open from then on). */
  onFirstBytes?: () => void;
}

/** Answer characters a frame carries, and whether it is the dialect's successful end. */
function answerOf(dialect: Dialect, name: string, data: string): { chars: number; done: boolean } {
  if (dialect === "staged") {
    if (name === "output.done") return { chars: 0, done: true };
    if (name !== "output.delta") return { chars: 0, done: false };
    const text = (JSON.parse(data) as { text?: unknown }).text;
    return { chars: typeof text === "string" ? text.length : 0, done: false };
  }
  if (data === "[DONE]") return { chars: 0, done: true };
  if (!data.startsWith("{")) return { chars: 0, done: false };
  const parsed = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
  const content = parsed.choices?.[0]?.delta?.content;
  return { chars: typeof content === "string" ? content.length : 0, done: false };
}

/**
 * POST a streamed chat completion to any relay and stamp every read that carried answer text.
 * The frame splitter is the bare minimum (blank-line frames, `event:`, `data:`, `:` comments), so
 * the client costs the same whichever relay it measures.
 */
export async function relayRequest(agent: Agent, url: string, body: unknown, o: RelayRequestOptions): Promise<RelayRun> {
  const run: RelayRun = { sentAt: epochNow(), headersAt: NaN, status: 0, deliveries: [], frames: [], complete: false };
  try {
    const res = await request(url, {
      dispatcher: agent,
      method: "POST",
      headers: { "content-type": "application/json", ...o.headers },
      body: JSON.stringify(body),
      ...(o.signal && { signal: o.signal }),
    });
    run.headersAt = epochNow();
    run.status = res.statusCode;
    if (res.statusCode !== 200) {
      run.error = `status ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`;
      return run;
    }
    res.body.setEncoding("utf8");
    let buffer = "";
    let cum = 0;
    let first = true;
    for await (const piece of res.body) {
      const at = epochNow();
      if (first) {
        first = false;
        o.onFirstBytes?.();
      }
      buffer += piece as string;
      let grew = false;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = "message";
        let data = "";
        for (const line of frame.split("\n")) {
          if (line.startsWith("event: ")) name = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
          else if (line.startsWith(":")) name = "comment";
        }
        if (o.keepFrames) run.frames.push({ name, at, data });
        if (name === "comment" || data === "") continue;
        const { chars, done } = answerOf(o.dialect, name, data);
        if (done) run.complete = true;
        if (chars > 0) {
          cum += chars;
          grew = true;
        }
      }
      if (grew) run.deliveries.push({ at, cum });
    }
  } catch (e) {
    run.error = e instanceof Error ? e.message : String(e);
  }
  return run;
}
