import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedChunk } from "../../mock-upstream/script.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { answerOf, names, postStaged, stagedOrder, userMessage, type StagedResult } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

/*
 * Nothing lost, nothing altered: the answer a client receives is byte for byte the answer text
 * the upstream sent, on every surface, and tool calls arrive whole. No trim() anywhere here.
 */

const stack = useStack();

/** The answer as each surface delivers it: staged stream, staged JSON, OpenAI JSON, OpenAI stream. */
async function answersOnEverySurface(url: string, model: string): Promise<Record<string, string>> {
  const body = { model, messages: userMessage("Write the function.") };
  const staged = await postStaged(url, body);
  const stagedJson = (await postStaged(url, { ...body, stream: false })).json as { choices: { message: { content: string } }[] };
  const openaiJson = (await (await post(url, "/openai/v1/chat/completions", body)).json()) as { choices: { message: { content: string } }[] };
  const openaiStream = await readOpenAIStream(await post(url, "/openai/v1/chat/completions", { ...body, stream: true }));
  return {
    staged: answerOf(staged),
    stagedJson: stagedJson.choices[0]?.message.content ?? "(none)",
    openaiJson: openaiJson.choices[0]?.message.content ?? "(none)",
    openaiStream: openaiStream.content,
  };
}

function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function readOpenAIStream(res: Response): Promise<{ content: string; done: boolean }> {
  const text = await res.text();
  let content = "";
  let done = false;
  for (const frame of text.split("\n\n")) {
    if (!frame.startsWith("data: ")) continue;
    const data = frame.slice(6);
    if (data === "[DONE]") {
      done = true;
      continue;
    }
    const chunk = JSON.parse(data) as { choices: { delta: { content?: string } }[] };
    content += chunk.choices[0]?.delta.content ?? "";
  }
  return { content, done };
}

function everySurface(answers: Record<string, string>, expected: string): void {
  for (const [surface, got] of Object.entries(answers)) expect({ surface, got }).toEqual({ surface, got: expected });
}

const reasoned = (answerPieces: string[]): ScriptedChunk[] => [
  { delta: { role: "assistant", reasoning_content: "Think about the function. " } },
  { delta: { reasoning_content: "It returns one." } },
  ...answerPieces.map((text, i) => ({ delta: { content: text }, ...(i === answerPieces.length - 1 && { finish_reason: "stop" }) })),
];

describe("byte-exact answers on every surface", () => {
  it("an indented code answer keeps its leading whitespace (reasoning in reasoning_content)", async () => {
    const answer = "    def f():\n        return 1\n";
    const { gateway } = await stack({ script: reasoned(["    de", "f f():\n", "        return 1\n"]) });
    everySurface(await answersOnEverySurface(gateway.url, "mock-script"), answer);
  });

  it("an indented code answer from a plain model (no reasoning at all) is exact and streamed live", async () => {
    const answer = "    def f():\n        return 1";
    const { gateway } = await stack({ script: [{ delta: { content: "    def f():\n" } }, { delta: { content: "        return 1" }, finish_reason: "stop" }] });
    everySurface(await answersOnEverySurface(gateway.url, "mock-script"), answer);
  });

  it("literal <final>…</final> and <think> text inside an answer survive when reasoning comes in reasoning_content", async () => {
    const answer = "Use <final>x</final> to mark it, and <think> for thoughts.";
    const { gateway } = await stack({ script: reasoned(["Use <fi", "nal>x</final> to mark it, ", "and <think> for thoughts."]) });
    everySurface(await answersOnEverySurface(gateway.url, "mock-script"), answer);
  });

  it("a plain answer that contains </think> is not turned into reasoning (auto mode)", async () => {
    const answer = "The closing tag is </think> and that is all.";
    const { gateway, mock } = await stack({
      script: [{ delta: { content: "The closing tag is </th" } }, { delta: { content: "ink> and that is all." }, finish_reason: "stop" }],
    });
    const r = await postStaged(gateway.url, { model: "mock-script", messages: userMessage("What is the closing tag?") });
    expect(answerOf(r)).toBe(answer);
    expect(r.events.find((e) => e.event === "summary.reasoning")?.data).toMatchObject({ text: "", source: "empty" });
    expect(mock.mock.calls.filter((c) => c.kind === "reasoning_summary")).toHaveLength(0);
  });

  it("CJK, emoji and a surrogate pair split between two chunks reassemble exactly", async () => {
    const answer = "答案是巴黎 🇫🇷 — café 😀!";
    const emoji = "😀";
    const high = emoji.charAt(0);
    const low = emoji.charAt(1);
    const { gateway } = await stack({
      script: reasoned(["答案是巴黎 🇫🇷 — café ", high, `${low}!`]),
    });
    everySurface(await answersOnEverySurface(gateway.url, "mock-script"), answer);
  });

  it("whitespace at both ends of a plain answer is kept", async () => {
    const answer = "\n\n  spaced out  \n";
    const { gateway } = await stack({ script: [{ delta: { content: answer }, finish_reason: "stop" }] });
    everySurface(await answersOnEverySurface(gateway.url, "mock-script"), answer);
  });
});

describe("tool calls reach the client", () => {
  const twoCalls: ScriptedChunk[] = [
    { delta: { role: "assistant", reasoning_content: "Two cities, two calls." } },
    { delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] } },
    { delta: { tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] } },
    { delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] } },
    { delta: { tool_calls: [{ index: 1, function: { arguments: '"Oslo"}' } }] }, finish_reason: "tool_calls" },
  ];

  it("staged: output.tool_calls events in the output section, in upstream order, finish_reason tool_calls", async () => {
    const { gateway } = await stack({ script: twoCalls });
    const r = await postStaged(gateway.url, { model: "mock-script", messages: userMessage("Weather in Paris and Oslo?") });
    expect(stagedOrder(r)).toEqual([
      "summary.prompt",
      "summary.reasoning",
      "output.tool_calls",
      "output.tool_calls",
      "output.tool_calls",
      "output.tool_calls",
      "output.done",
    ]);
    const fragments = r.events.filter((e) => e.event === "output.tool_calls").flatMap((e) => e.data.tool_calls as unknown[]);
    expect(fragments).toEqual([
      { index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":' } },
      { index: 1, id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
      { index: 1, function: { arguments: '"Oslo"}' } },
    ]);
    expect(r.events.at(-1)?.data.finish_reason).toBe("tool_calls");
  });

  it("stream:false: message.tool_calls assembled exactly, content null", async () => {
    const { gateway } = await stack({ script: twoCalls });
    const r = await postStaged(gateway.url, { model: "mock-script", messages: userMessage("Weather?"), stream: false });
    const message = (r.json as { choices: { message: { content: unknown; tool_calls: unknown }; finish_reason: string }[] }).choices[0];
    expect(message?.finish_reason).toBe("tool_calls");
    expect(message?.message.content).toBeNull();
    expect(message?.message.tool_calls).toEqual([
      { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
    ]);
  });

  it("a multi-turn tool loop passes assistant tool_calls, tool results and earlier reasoning_content upstream untouched", async () => {
    const { gateway, mock } = await stack({ script: reasoned(["It is 21 °C in Paris."]) });
    const history = [
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "I should call the tool.",
        tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"temp_c":21}' },
    ];
    const r = await postStaged(gateway.url, {
      model: "mock-script",
      messages: history,
      tools: [{ type: "function", function: { name: "get_weather", parameters: {} } }],
    });
    expect(answerOf(r)).toBe("It is 21 °C in Paris.");
    const sent = mock.mock.calls.find((c) => c.kind === "chat")?.body.messages as Record<string, unknown>[];
    // The gateway may add its tag instruction as a system message; every other message is as sent.
    expect(sent.filter((m) => m.role !== "system")).toEqual(history);
  });
});

describe("a multi-byte character split between two TCP writes of the upstream", () => {
  let upstream: Server | undefined;
  let gateway: RunningGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
  });

  it("arrives whole", async () => {
    const answer = "Voilà 😀 fin";
    upstream = createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        const body = JSON.parse(raw) as { stream: boolean };
        if (!body.stream) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ choices: [{ message: { role: "assistant", content: "A summary." }, finish_reason: "stop" }] }));
          return;
        }
        res.writeHead(200, { "content-type": "text/event-stream" });
        const frame = Buffer.from(
          `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: answer }, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`,
        );
        // Cut inside the emoji's four UTF-8 bytes.
        const cut = frame.indexOf(Buffer.from("😀")) + 2;
        res.write(frame.subarray(0, cut));
        setTimeout(() => res.end(frame.subarray(cut)), 20);
      });
    });
    await new Promise<void>((r) => upstream?.listen(0, "127.0.0.1", () => r()));
    const port = (upstream.address() as AddressInfo).port;
    gateway = await startGateway({ UPSTREAM_BASE_URL: `http://127.0.0.1:${port}` });
    const r: StagedResult = await postStaged(gateway.url, { model: "plain-model", messages: userMessage("hi") });
    expect(names(r).at(-1)).toBe("output.done");
    expect(answerOf(r)).toBe(answer);
  });
});
