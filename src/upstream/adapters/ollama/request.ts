/**
 * OpenAI chat body → Ollama `/api/chat` request. Messages keep their roles; assistant tool calls
 * carry arguments as objects; tool turns name their function (`tool_name`); sampling settings go
 * under `options` (`num_predict` is max tokens). `think` asks thinking models for
 * `message.thinking` on the streamed main call.
 */
import { thinkingFields } from "../../../reasoning/index.js";
import type { NativeOptions } from "../../kinds.js";
import { dataUrl, parseArguments, readChatBody, toolNamesById, toolTurnName, turnText, type ChatTurn } from "../chat.js";
import type { CallMode } from "../types.js";

export function ollamaBody(body: Record<string, unknown>, native: NativeOptions | undefined, mode: CallMode): Record<string, unknown> {
  const chat = readChatBody(body);
  const names = toolNamesById(chat.turns);
  const options: Record<string, unknown> = {};
  if (chat.temperature !== undefined) options.temperature = chat.temperature;
  if (chat.topP !== undefined) options.top_p = chat.topP;
  if (chat.maxTokens !== undefined) options.num_predict = chat.maxTokens;
  if (chat.stop) options.stop = chat.stop;
  if (chat.seed !== undefined) options.seed = chat.seed;
  const out: Record<string, unknown> = {
    model: chat.model,
    messages: chat.turns.map((t) => message(t, names)),
    stream: mode === "stream",
  };
  if (mode === "stream") out.think = think(chat, native);
  if (Object.keys(options).length > 0) out.options = options;
  if (chat.tools.length > 0) {
    out.tools = chat.tools.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description !== undefined && { description: t.description }),
        parameters: t.parameters ?? { type: "object", properties: {} },
      },
    }));
  }
  const rf = chat.responseFormat;
  if (rf) out.format = rf.type === "json_schema" && rf.schema ? rf.schema : "json";
  return out;
}

function message(t: ChatTurn, names: Map<string, string>): Record<string, unknown> {
  const m: Record<string, unknown> = { role: t.role, content: turnText(t) };
  // Ollama takes images as bare base64; a remote URL cannot be passed and is left out.
  const images = t.parts.flatMap((p) => (p.type === "image" ? [dataUrl(p.url)?.data] : [])).filter((d): d is string => d !== undefined);
  if (images.length > 0) m.images = images;
  if (t.role === "assistant" && t.toolCalls.length > 0) m.tool_calls = t.toolCalls.map((c) => ({ function: { name: c.name, arguments: parseArguments(c) } }));
  if (t.role === "tool") m.tool_name = toolTurnName(t, names);
  return m;
}

/**
 * Ollama's `think`: from the request's `reasoning_effort` when it has one — `none` turns it off, and
 * gpt-oss takes a level (it cannot stop reasoning), other thinking models true — else the provider's
 * setting (default true).
 */
function think(chat: ReturnType<typeof readChatBody>, native: NativeOptions | undefined): boolean | string {
  const effort = chat.reasoningEffort;
  if (effort === undefined) return native?.think ?? true;
  if (/gpt-oss/i.test(chat.model)) return thinkingFields("gpt-oss", effort).reasoningEffort ?? "medium";
  return effort !== "none";
}
