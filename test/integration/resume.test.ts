import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { createStagedClient } from "../../src/sdk/index.js";
import { postStaged, readFrames, userMessage, type Frame } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

/*
 * Resumable streams in one process (the event log in memory): ids on every event, a reconnect
 * with Last-Event-ID that continues exactly, the grace period, explicit cancel, ownership.
 * test/integration/replicas-resume.test.ts does the same across replicas through nginx and Redis.
 */

const stack = useStack();
const ANSWER = "Water boils at 100 °C at sea level. ".repeat(6);
const REASONING = "Boiling point depends on pressure. At one atmosphere water boils at 100 degrees. ".repeat(3);
/** Paced so a test can drop the connection after summary.prompt, well before the end. */
const paced = { answerText: ANSWER, reasoningText: REASONING, chunkChars: 12, latency: { reasoningChunkMs: 15, answerChunkMs: 15 } };
const ask = { model: "mock-reasoning_content", messages: userMessage("At what temperature does water boil?") };

const post = (url: string, path: string, body: unknown, signal?: AbortSignal, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    ...(signal && { signal }),
  });

const answerOf = (frames: Frame[]) =>
  frames
    .filter((f) => f.event === "output.delta")
    .map((f) => String(f.data.text))
    .join("");

describe("resumable staged streams (RESUME_GRACE_SECONDS > 0)", () => {
  it("every event has an id; a reconnect with Last-Event-ID gets every later event exactly once", async () => {
    const { gateway } = await stack(paced, { RESUME_GRACE_SECONDS: "10" });
    const drop = new AbortController();
    const res = await post(gateway.url, "/v1/chat/completions", ask, drop.signal);
    const requestId = res.headers.get("x-request-id") ?? "";
    expect(res.headers.get("x-resumable")).toBe("true");
    const before = await readFrames(res, (f) => f.event === "summary.prompt", drop);
    expect(before.at(-1)?.event).toBe("summary.prompt");
    const lastId = before.at(-1)?.id ?? "";
    expect(before.map((f) => f.id)).toEqual(before.map((_, i) => String(i + 1)));

    const again = await fetch(`${gateway.url}/v1/requests/${requestId}/stream`, { headers: { "last-event-id": lastId } });
    expect(again.status).toBe(200);
    const after = await readFrames(again);
    const all = [...before, ...after];
    // Consecutive ids: nothing missing, nothing twice.
    expect(all.map((f) => f.id)).toEqual(all.map((_, i) => String(i + 1)));
    expect(all.filter((f) => f.event === "output.done")).toHaveLength(1);
    expect(all.at(-1)?.event).toBe("output.done");
    expect(answerOf(all)).toBe(ANSWER);
    // `?after=` works the same as the header, from any point.
    const replay = await readFrames(await fetch(`${gateway.url}/v1/requests/${requestId}/stream?after=0`));
    expect(replay.map((f) => f.event)).toEqual(all.map((f) => f.event));
  });

  it("without a reconnect, the upstream call is cancelled when the grace period ends — not before", async () => {
    const { gateway, mock } = await stack({ ...paced, latency: { reasoningChunkMs: 200, answerChunkMs: 200 } }, { RESUME_GRACE_SECONDS: "1.5" });
    const drop = new AbortController();
    const res = await post(gateway.url, "/v1/chat/completions", ask, drop.signal);
    await readFrames(res, (f) => f.event === "summary.prompt", drop);
    const droppedAt = performance.now();
    const chat = () => mock.mock.calls.find((c) => c.kind === "chat");
    // Still running after the client left.
    await new Promise((r) => setTimeout(r, 300));
    expect(chat()?.outcome).toBe("pending");
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
    expect(performance.now() - droppedAt).toBeGreaterThanOrEqual(1_400);
  });

  it("POST /v1/requests/{id}/cancel ends it at once, and only the key that started a request may resume or cancel it", async () => {
    const keys = "key-alpha-0123456789,key-bravo-0123456789";
    const { gateway, mock } = await stack(
      { ...paced, latency: { reasoningChunkMs: 200, answerChunkMs: 200 } },
      { RESUME_GRACE_SECONDS: "30", GATEWAY_API_KEYS: keys },
    );
    const alpha = { authorization: "Bearer key-alpha-0123456789" };
    const bravo = { authorization: "Bearer key-bravo-0123456789" };
    const res = await post(gateway.url, "/v1/chat/completions", ask, undefined, alpha);
    const requestId = res.headers.get("x-request-id") ?? "";
    const reading = readFrames(res);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat"));

    expect((await fetch(`${gateway.url}/v1/requests/${requestId}/stream`, { headers: bravo })).status).toBe(403);
    expect((await fetch(`${gateway.url}/v1/requests/${requestId}/cancel`, { method: "POST", headers: bravo })).status).toBe(403);
    expect((await fetch(`${gateway.url}/v1/requests/${requestId}/stream`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/v1/requests/no-such-request/stream`, { headers: alpha })).status).toBe(404);

    const cancelled = await fetch(`${gateway.url}/v1/requests/${requestId}/cancel`, { method: "POST", headers: alpha });
    expect(cancelled.status).toBe(200);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
    const frames = await reading;
    expect(frames.map((f) => f.event)).not.toContain("output.done");
  });

  it("a reconnect after the grace ran out is told the request was abandoned — never a silently cut stream — and later gets 404", async () => {
    // A finished log is kept for one more grace: long enough here to reconnect in it.
    const { gateway, mock } = await stack({ ...paced, latency: { reasoningChunkMs: 200, answerChunkMs: 200 } }, { RESUME_GRACE_SECONDS: "2" });
    const drop = new AbortController();
    const res = await post(gateway.url, "/v1/chat/completions", ask, drop.signal);
    const requestId = res.headers.get("x-request-id") ?? "";
    await readFrames(res, (f) => f.event === "summary.prompt", drop);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
    const again = await fetch(`${gateway.url}/v1/requests/${requestId}/stream?after=0`);
    expect(again.status).toBe(200);
    const frames = await readFrames(again);
    expect(frames.at(-1)).toMatchObject({ event: "error", data: { code: "abandoned" } });
    expect(frames.map((f) => f.event)).not.toContain("output.done");
    await expect.poll(() => fetch(`${gateway.url}/v1/requests/${requestId}/stream?after=0`).then((r) => r.status), { timeout: 10_000 }).toBe(404);
  });

  it("a client that leaves before the upstream accepted never learnt the id: its request is cancelled at once", async () => {
    const { gateway, mock } = await stack({ ...paced, latency: { headersMs: 3_000 } }, { RESUME_GRACE_SECONDS: "30" });
    const drop = new AbortController();
    const pending = post(gateway.url, "/v1/chat/completions", ask, drop.signal).catch(() => undefined);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat"));
    drop.abort();
    await pending;
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
  });

  it("the typed client resumes on its own after a broken connection, each event once", async () => {
    const { gateway } = await stack(paced, { RESUME_GRACE_SECONDS: "10" });
    // A fetch whose first streamed body breaks after its third read, as a dropped network would.
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (calls++ > 0 || !res.body) return res;
      const reader = res.body.getReader();
      let reads = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (reads++ >= 3) {
            await reader.cancel();
            return controller.error(new TypeError("network connection lost"));
          }
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const client = createStagedClient({ baseUrl: gateway.url, fetch: flaky });
    const events: string[] = [];
    let answer = "";
    for await (const ev of client.stream(ask, { resumeAttempts: 2 })) {
      events.push(ev.event);
      if (ev.event === "output.delta") answer += ev.data.text;
    }
    expect(calls).toBe(2);
    expect(answer).toBe(ANSWER);
    expect(events.filter((e) => e === "summary.prompt")).toHaveLength(1);
    expect(events.at(-1)).toBe("output.done");
  });

  it("is off by default: no ids, and a client that leaves cancels at once", async () => {
    const { gateway, mock } = await stack({ ...paced, latency: { reasoningChunkMs: 200, answerChunkMs: 200 } });
    const drop = new AbortController();
    const res = await post(gateway.url, "/v1/chat/completions", ask, drop.signal);
    const frames = await readFrames(res, (f) => f.event === "summary.prompt", drop);
    expect(frames.every((f) => f.id === undefined)).toBe(true);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"), 3_000);
    expect((await fetch(`${gateway.url}/v1/requests/x/stream`)).status).toBe(404);
  });
});

describe("resumable Responses streams: the OpenAI form", () => {
  it("responses.retrieve(id, {stream: true, starting_after}) continues where the stream stopped", async () => {
    const { gateway } = await stack(paced, { RESUME_GRACE_SECONDS: "10" });
    const client = new OpenAI({ baseURL: `${gateway.url}/openai/v1`, apiKey: "unused", maxRetries: 0 });
    const first = await client.responses.create({ model: "mock-reasoning_content", input: "At what temperature does water boil?", stream: true });
    let id = "";
    let lastSeq = -1;
    const seen: number[] = [];
    for await (const e of first) {
      seen.push(e.sequence_number);
      lastSeq = e.sequence_number;
      if (e.type === "response.created") id = e.response.id;
      if (e.type === "response.reasoning_summary_part.done") break; // drops the connection
    }
    const rest = await client.responses.retrieve(id, { stream: true, starting_after: lastSeq });
    let text = "";
    let final: string | undefined;
    for await (const e of rest) {
      seen.push(e.sequence_number);
      if (e.type === "response.output_text.delta") text += e.delta;
      if (e.type === "response.completed") final = e.response.status;
    }
    expect(seen).toEqual(seen.map((_, i) => i));
    expect(text).toBe(ANSWER);
    expect(final).toBe("completed");
    const stored = await client.responses.retrieve(id);
    expect(stored.status).toBe("completed");
    expect(stored.output.find((o) => o.type === "message")).toBeDefined();
  });
});

describe("the staged stream helper still reads resumable streams", () => {
  it("postStaged sees the same events with ids on", async () => {
    const { gateway } = await stack(paced, { RESUME_GRACE_SECONDS: "5" });
    const r = await postStaged(gateway.url, ask);
    expect(r.events.at(-1)?.event).toBe("output.done");
    expect(r.raw).toMatch(/^id: 1\nevent: summary\.prompt\n/);
  });
});
