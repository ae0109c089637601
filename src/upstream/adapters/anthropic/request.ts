/**
 * OpenAI chat body → Anthropic Messages request. System turns become the top-level `system`;
 * assistant `tool_calls` become `tool_use` blocks; `tool` turns become `tool_result` blocks in a
 * user turn (consecutive turns of one role are merged, as the API wants alternating roles).
 */
import { effortBudget } from "../../../reasoning/index.js";
import type { NativeOptions } from "../../kinds.js";
import { dataUrl, parseArguments, readChatBody, systemText, turnText, type ChatPart, type ChatTurn, type ChatView } from "../chat.js";
import type { AdapterContext, CallMode } from "../types.js";

/** The API requires `max_tokens`; used when neither the request nor the provider gives one. */
export const DEFAULT_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;
interface Message {
  role: "user" | "assistant";
  content: Block[];
}

export function anthropicBody(body: Record<string, unknown>, native: NativeOptions | undefined, mode: CallMode, ctx: AdapterContext): Record<string, unknown> {
  const chat = readChatBody(body);
  const system = systemText(chat.turns);
  const forcesTool = chat.toolChoice === "required" || typeof chat.toolChoice === "object";
  // Thinking only on the streamed main call: summaries need no reasoning, the API refuses
  // thinking together with a forced tool choice, and inside a tool loop it wants the earlier
  // turn's signed thinking block back, which an OpenAI-shaped history cannot carry.
  const budget = mode === "stream" && !forcesTool && !inToolLoop(chat.turns) ? thinkingBudget(chat, native) : undefined;
  const answerTokens = chat.maxTokens ?? native?.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;
  const out: Record<string, unknown> = {
    model: chat.model,
    messages: messages(chat.turns, ctx),
    // With thinking the request's max_tokens bounds the answer: the budget comes on top of it.
    max_tokens: budget === undefined ? answerTokens : answerTokens + budget,
    stream: mode === "stream",
  };
  if (system !== undefined) out.system = system;
  if (budget !== undefined) out.thinking = { type: "enabled", budget_tokens: budget };
  // Thinking allows no temperature and only top_p ≥ 0.95; without it, Anthropic's range is 0–1.
  if (chat.temperature !== undefined && budget === undefined) out.temperature = Math.min(chat.temperature, 1);
  if (chat.topP !== undefined && (budget === undefined || chat.topP >= 0.95)) out.top_p = chat.topP;
  if (chat.stop) out.stop_sequences = chat.stop;
  Object.assign(out, tools(chat));
  return out;
}

/**
 * The thinking budget: from the request's `reasoning_effort` when it has one (`none` = no thinking;
 * Anthropic's minimum is 1024), else the provider's `thinking_budget` (unset = no thinking).
 */
function thinkingBudget(chat: ChatView, native: NativeOptions | undefined): number | undefined {
  const effort = chat.reasoningEffort;
  if (effort === undefined) return native?.thinkingBudget;
  return effort === "none" ? undefined : Math.max(1024, effortBudget(effort));
}

/** Does the conversation end with tool results answering the last assistant turn's calls? */
function inToolLoop(turns: ChatTurn[]): boolean {
  const last = turns.filter((t) => t.role !== "system" && t.role !== "tool").at(-1);
  return turns.at(-1)?.role === "tool" && last?.role === "assistant" && last.toolCalls.length > 0;
}

function messages(turns: ChatTurn[], ctx: AdapterContext): Message[] {
  const out: Message[] = [];
  const add = (role: Message["role"], blocks: Block[]): void => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const t of turns) {
    if (t.role === "system") continue;
    if (t.role === "tool") add("user", [{ type: "tool_result", tool_use_id: t.toolCallId ?? "", content: turnText(t) }]);
    else if (t.role === "assistant") {
      add("assistant", [
        ...partBlocks(t.parts),
        ...t.toolCalls.map((c) => ({ type: "tool_use", id: c.id || `toolu_${ctx.newId()}`, name: c.name, input: parseArguments(c) })),
      ]);
    } else add("user", partBlocks(t.parts));
  }
  return out;
}

function partBlocks(parts: ChatPart[]): Block[] {
  return parts.map((p) => {
    if (p.type === "text") return { type: "text", text: p.text };
    const inline = dataUrl(p.url);
    return { type: "image", source: inline ? { type: "base64", media_type: inline.mediaType, data: inline.data } : { type: "url", url: p.url } };
  });
}

function tools(chat: ChatView): Record<string, unknown> {
  if (chat.tools.length === 0) return {};
  const out: Record<string, unknown> = {
    tools: chat.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      input_schema: t.parameters ?? { type: "object", properties: {} },
    })),
  };
  const c = chat.toolChoice;
  const choice: Record<string, unknown> | undefined =
    c === undefined
      ? chat.parallelToolCalls === false
        ? { type: "auto" }
        : undefined
      : c === "auto"
        ? { type: "auto" }
        : c === "none"
          ? { type: "none" }
          : c === "required"
            ? { type: "any" }
            : { type: "tool", name: c.name };
  if (choice && chat.parallelToolCalls === false && choice.type !== "none") choice.disable_parallel_tool_use = true;
  if (choice) out.tool_choice = choice;
  return out;
}
