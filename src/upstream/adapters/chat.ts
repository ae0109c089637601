/**
 * The OpenAI chat body, read once into a typed view every native adapter translates from. Lenient
 * where the HTTP edge already validated (roles, content shape); strict only where a native API
 * would need something the body cannot give (tool arguments that are not JSON).
 */
import { isEffort, type Effort } from "../../reasoning/index.js";
import { UpstreamError, isRecord } from "../errors.js";

export type ChatPart = { type: "text"; text: string } | { type: "image"; url: string };

export interface ChatToolCall {
  id: string;
  name: string;
  /** Exactly as the client sent it (a JSON string in OpenAI's shape). */
  arguments: string;
}

export interface ChatTurn {
  /** `developer` is read as `system`, the legacy `function` role as `tool`. */
  role: "system" | "user" | "assistant" | "tool";
  parts: ChatPart[];
  /** Assistant turns: the calls it made. */
  toolCalls: ChatToolCall[];
  /** Tool turns: which call this answers. */
  toolCallId: string | undefined;
  /** Tool turns: the function's name when the message carries it (`name`). */
  name: string | undefined;
}

export interface ChatTool {
  name: string;
  description: string | undefined;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown> | undefined;
}

export type ChatToolChoice = "auto" | "none" | "required" | { name: string };

export interface ChatView {
  model: string;
  turns: ChatTurn[];
  tools: ChatTool[];
  toolChoice: ChatToolChoice | undefined;
  parallelToolCalls: boolean | undefined;
  maxTokens: number | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  stop: string[] | undefined;
  responseFormat: { type: "json_object" } | { type: "json_schema"; schema: Record<string, unknown> | undefined } | undefined;
  seed: number | undefined;
  /** OpenAI's `reasoning_effort` (`none` … `xhigh`); each native API maps it to its own thinking switch. */
  reasoningEffort: Effort | undefined;
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Read the chat body the pipeline built (model, messages and the client's own fields). */
export function readChatBody(body: Record<string, unknown>): ChatView {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
  const stop = typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === "string") : undefined;
  return {
    model: typeof body.model === "string" ? body.model : "",
    turns: messages.map(readTurn),
    tools: readTools(body.tools),
    toolChoice: readToolChoice(body.tool_choice),
    parallelToolCalls: typeof body.parallel_tool_calls === "boolean" ? body.parallel_tool_calls : undefined,
    // `max_completion_tokens` is OpenAI's newer name for the same bound.
    maxTokens: num(body.max_tokens) ?? num(body.max_completion_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    stop: stop && stop.length > 0 ? stop : undefined,
    responseFormat: readResponseFormat(body.response_format),
    seed: num(body.seed),
    reasoningEffort: isEffort(body.reasoning_effort) ? body.reasoning_effort : undefined,
  };
}

function readTurn(m: Record<string, unknown>): ChatTurn {
  const role = m.role === "developer" ? "system" : m.role === "function" ? "tool" : m.role;
  return {
    role: role === "system" || role === "assistant" || role === "tool" ? role : "user",
    parts: readParts(m.content),
    toolCalls: Array.isArray(m.tool_calls) ? m.tool_calls.filter(isRecord).flatMap(readToolCall) : [],
    toolCallId: typeof m.tool_call_id === "string" ? m.tool_call_id : undefined,
    name: typeof m.name === "string" ? m.name : undefined,
  };
}

function readParts(content: unknown): ChatPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter(isRecord).flatMap((p): ChatPart[] => {
    if (typeof p.text === "string") return [{ type: "text", text: p.text }];
    const image = isRecord(p.image_url) ? p.image_url.url : p.image_url;
    return typeof image === "string" ? [{ type: "image", url: image }] : [];
  });
}

function readToolCall(c: Record<string, unknown>): ChatToolCall[] {
  const fn = isRecord(c.function) ? c.function : undefined;
  if (!fn || typeof fn.name !== "string") return [];
  const args = typeof fn.arguments === "string" ? fn.arguments : isRecord(fn.arguments) ? JSON.stringify(fn.arguments) : "";
  return [{ id: typeof c.id === "string" ? c.id : "", name: fn.name, arguments: args }];
}

function readTools(v: unknown): ChatTool[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isRecord).flatMap((t): ChatTool[] => {
    const fn = isRecord(t.function) ? t.function : undefined;
    if (!fn || typeof fn.name !== "string") return [];
    return [
      {
        name: fn.name,
        description: typeof fn.description === "string" ? fn.description : undefined,
        parameters: isRecord(fn.parameters) ? fn.parameters : undefined,
      },
    ];
  });
}

function readToolChoice(v: unknown): ChatToolChoice | undefined {
  if (v === "auto" || v === "none" || v === "required") return v;
  if (isRecord(v) && isRecord(v.function) && typeof v.function.name === "string") return { name: v.function.name };
  return undefined;
}

function readResponseFormat(v: unknown): ChatView["responseFormat"] {
  if (!isRecord(v)) return undefined;
  if (v.type === "json_object") return { type: "json_object" };
  if (v.type === "json_schema") {
    const schema = isRecord(v.json_schema) && isRecord(v.json_schema.schema) ? v.json_schema.schema : undefined;
    return { type: "json_schema", schema };
  }
  return undefined;
}

/** All the text of a turn, parts joined by newlines (for APIs that take one string). */
export function turnText(turn: ChatTurn): string {
  return turn.parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
}

/** System turns, in order, as one instruction (the native APIs take a single system field). */
export function systemText(turns: ChatTurn[]): string | undefined {
  const text = turns
    .filter((t) => t.role === "system")
    .map(turnText)
    .filter((t) => t !== "")
    .join("\n\n");
  return text === "" ? undefined : text;
}

/**
 * Tool-call arguments as an object, for APIs that take them structured (Anthropic `input`, Gemini
 * `args`, Ollama `arguments`). Empty means no arguments; anything but a JSON object is refused.
 */
export function parseArguments(call: ChatToolCall): Record<string, unknown> {
  if (call.arguments.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.arguments);
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) {
    throw new UpstreamError({
      kind: "request",
      code: "invalid_tool_arguments",
      param: "messages",
      message: `messages: tool call ${call.id || call.name} has arguments that are not a JSON object, which this provider's API requires`,
      retryable: false,
    });
  }
  return parsed;
}

/** Tool-call id → function name, from the assistant turns (Gemini and Ollama answer calls by name). */
export function toolNamesById(turns: ChatTurn[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const t of turns) for (const c of t.toolCalls) if (c.id) names.set(c.id, c.name);
  return names;
}

/** The function a tool turn answers: its own `name`, else the call it names, else "tool". */
export function toolTurnName(turn: ChatTurn, names: Map<string, string>): string {
  return turn.name ?? (turn.toolCallId !== undefined ? names.get(turn.toolCallId) : undefined) ?? "tool";
}

/** A `data:` URL split into media type and base64 payload; undefined for anything else. */
export function dataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1] as string, data: m[2] as string } : undefined;
}

/** A tool result as a JSON object (Gemini's `response` must be one): parsed when it is one, else wrapped. */
export function resultObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) return parsed;
  } catch {
    // Plain text: wrapped below.
  }
  return { content: text };
}
