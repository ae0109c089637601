import type { MockApi } from "./types.js";

/** What a runaway model keeps sending. */
export type Runaway = "tool_calls" | "tool_arguments" | "answer";

/** Characters of filler per frame: large enough to reach any bound in a few hundred frames. */
const FILL = "x".repeat(16 * 1024);

const sse = (data: unknown, event?: string): string => `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`;
const line = (data: unknown): string => `${JSON.stringify(data)}\n`;

/**
 * The frames of a runaway answer in each API's own shape: `head` once, then `frame(n)` for
 * n = 0, 1, 2, … for as long as the client reads. APIs that send tool calls whole (Gemini,
 * Ollama) cannot stream one call's arguments forever, so `tool_arguments` is a new call per frame there.
 */
export function runawayFrames(api: MockApi, what: Runaway): { head: string; frame: (n: number) => string } {
  const args = JSON.stringify({ q: FILL });
  switch (api) {
    case "openai": {
      const chunk = (delta: unknown) =>
        sse({ id: "chatcmpl-runaway", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta, finish_reason: null }] });
      if (what === "answer") return { head: chunk({ role: "assistant", content: "" }), frame: () => chunk({ content: FILL }) };
      if (what === "tool_calls")
        return {
          head: "",
          frame: (n) => chunk({ tool_calls: [{ index: n, id: `call_${n}`, type: "function", function: { name: "lookup", arguments: args } }] }),
        };
      return {
        head: chunk({ tool_calls: [{ index: 0, id: "call_0", type: "function", function: { name: "lookup", arguments: "" } }] }),
        frame: () => chunk({ tool_calls: [{ index: 0, function: { arguments: FILL } }] }),
      };
    }
    case "anthropic": {
      const head = sse(
        {
          type: "message_start",
          message: { id: "msg_runaway", type: "message", role: "assistant", content: [], model: "m", usage: { input_tokens: 1, output_tokens: 0 } },
        },
        "message_start",
      );
      const start = (i: number, block: unknown) => sse({ type: "content_block_start", index: i, content_block: block }, "content_block_start");
      const delta = (i: number, d: unknown) => sse({ type: "content_block_delta", index: i, delta: d }, "content_block_delta");
      const tool = (i: number) => ({ type: "tool_use", id: `toolu_${i}`, name: "lookup", input: {} });
      if (what === "answer") return { head: head + start(0, { type: "text", text: "" }), frame: () => delta(0, { type: "text_delta", text: FILL }) };
      if (what === "tool_calls") {
        return {
          head,
          frame: (n) =>
            start(n, tool(n)) +
            delta(n, { type: "input_json_delta", partial_json: args }) +
            sse({ type: "content_block_stop", index: n }, "content_block_stop"),
        };
      }
      return { head: head + start(0, tool(0)), frame: () => delta(0, { type: "input_json_delta", partial_json: FILL }) };
    }
    case "gemini": {
      const chunk = (part: unknown) => sse({ candidates: [{ content: { role: "model", parts: [part] }, index: 0 }] });
      if (what === "answer") return { head: "", frame: () => chunk({ text: FILL }) };
      return { head: "", frame: () => chunk({ functionCall: { name: "lookup", args: { q: FILL } } }) };
    }
    case "ollama": {
      const msg = (message: unknown) =>
        line({ model: "m", created_at: "2025-01-01T00:00:00Z", message: { role: "assistant", content: "", ...(message as object) }, done: false });
      if (what === "answer") return { head: "", frame: () => msg({ content: FILL }) };
      return { head: "", frame: () => msg({ tool_calls: [{ function: { name: "lookup", arguments: { q: FILL } } }] }) };
    }
  }
}
