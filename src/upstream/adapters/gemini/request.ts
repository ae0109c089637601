/**
 * OpenAI chat body → Gemini `generateContent` request. System turns become `systemInstruction`,
 * assistant turns `model` contents with `functionCall` parts, tool turns `functionResponse` parts
 * (Gemini answers a call by the function's name, looked up from the call id). Thoughts are asked
 * for (`includeThoughts`) on the streamed main call only.
 */
import { effortBudget } from "../../../reasoning/index.js";
import type { NativeOptions } from "../../kinds.js";
import {
  dataUrl,
  parseArguments,
  readChatBody,
  resultObject,
  systemText,
  toolNamesById,
  toolTurnName,
  turnText,
  type ChatPart,
  type ChatView,
} from "../chat.js";
import type { CallMode } from "../types.js";

type Part = Record<string, unknown>;
interface Content {
  role: "user" | "model";
  parts: Part[];
}

export function geminiBody(body: Record<string, unknown>, native: NativeOptions | undefined, mode: CallMode): Record<string, unknown> {
  const chat = readChatBody(body);
  const system = systemText(chat.turns);
  const out: Record<string, unknown> = { contents: contents(chat), generationConfig: generationConfig(chat, native, mode) };
  if (system !== undefined) out.systemInstruction = { parts: [{ text: system }] };
  if (chat.tools.length > 0) {
    out.tools = [
      {
        functionDeclarations: chat.tools.map((t) => ({
          name: t.name,
          ...(t.description !== undefined && { description: t.description }),
          // Full JSON Schema, as clients write it; `parameters` takes only an OpenAPI subset.
          ...(t.parameters !== undefined && { parametersJsonSchema: t.parameters }),
        })),
      },
    ];
    const c = chat.toolChoice;
    if (c !== undefined) {
      const config =
        c === "auto"
          ? { mode: "AUTO" }
          : c === "none"
            ? { mode: "NONE" }
            : c === "required"
              ? { mode: "ANY" }
              : { mode: "ANY", allowedFunctionNames: [c.name] };
      out.toolConfig = { functionCallingConfig: config };
    }
  }
  return out;
}

function generationConfig(chat: ChatView, native: NativeOptions | undefined, mode: CallMode): Record<string, unknown> {
  const g: Record<string, unknown> = {};
  if (chat.temperature !== undefined) g.temperature = chat.temperature;
  if (chat.topP !== undefined) g.topP = chat.topP;
  if (chat.maxTokens !== undefined) g.maxOutputTokens = chat.maxTokens;
  if (chat.stop) g.stopSequences = chat.stop;
  if (chat.seed !== undefined) g.seed = chat.seed;
  // The gateway validates schemas itself; asking for JSON just makes a valid answer likelier.
  if (chat.responseFormat) g.responseMimeType = "application/json";
  if (mode === "stream") {
    // The request's effort wins over the provider's budget; `none` is 0, which turns thinking off
    // where the model allows it (Gemini 2.5 Pro refuses, and says so).
    const budget = chat.reasoningEffort !== undefined ? effortBudget(chat.reasoningEffort) : native?.thinkingBudget;
    // A budget of 0 turns thinking off, and then there are no thoughts to include.
    g.thinkingConfig = budget === 0 ? { thinkingBudget: 0 } : { includeThoughts: true, ...(budget !== undefined && { thinkingBudget: budget }) };
  }
  return g;
}

function contents(chat: ChatView): Content[] {
  const names = toolNamesById(chat.turns);
  const out: Content[] = [];
  const add = (role: Content["role"], parts: Part[]): void => {
    if (parts.length === 0) return;
    const last = out.at(-1);
    // Parallel tool results belong in one turn; Gemini also wants roles to alternate.
    if (last?.role === role) last.parts.push(...parts);
    else out.push({ role, parts });
  };
  for (const t of chat.turns) {
    if (t.role === "system") continue;
    if (t.role === "tool") add("user", [{ functionResponse: { name: toolTurnName(t, names), response: resultObject(turnText(t)) } }]);
    else if (t.role === "assistant")
      add("model", [...parts(t.parts), ...t.toolCalls.map((c) => ({ functionCall: { name: c.name, args: parseArguments(c) } }))]);
    else add("user", parts(t.parts));
  }
  return out;
}

function parts(list: ChatPart[]): Part[] {
  return list.map((p) => {
    if (p.type === "text") return { text: p.text };
    const inline = dataUrl(p.url);
    return inline ? { inlineData: { mimeType: inline.mediaType, data: inline.data } } : { fileData: { fileUri: p.url } };
  });
}
