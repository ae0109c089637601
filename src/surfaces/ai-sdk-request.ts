import { z } from "zod";
import type { ChatMessage, ResearchRequest } from "../pipeline/index.js";
import { researchField } from "../research/index.js";
import { SurfaceInputError } from "./types.js";

/*
 * `POST /ai-sdk/v1/chat`: what the Vercel AI SDK's `useChat` (DefaultChatTransport) sends — the
 * chat `id`, its UI `messages` (each a list of typed `parts`), the `trigger` and `messageId` —
 * plus whatever the app adds through the transport's `body` option: `model`, the gateway's
 * `summary_model`, `research` and `include_reasoning`, and a fixed list of OpenAI sampling fields. The UI messages
 * become chat messages the way the SDK's own `convertToModelMessages` splits them: an assistant
 * message per step, its tool results as `tool` messages after it. The gateway's own reasoning
 * and data parts are UI only and never go back upstream. Anything else the app puts in `body` is
 * its own business: it is ignored, never forwarded.
 */

/** Longest chat id or message id kept: the SDK's ids are 16–32 characters. */
export const MAX_UI_ID_CHARS = 256;

const uiId = z.string({ message: "must be a string" }).min(1, "must not be empty").max(MAX_UI_ID_CHARS, `must be at most ${MAX_UI_ID_CHARS} characters`);
const modelName = z.string({ message: "must be a string" }).trim().min(1, "must not be empty");

const uiMessage = z.looseObject({
  id: z.string({ message: "must be a string" }).optional(),
  role: z.enum(["system", "user", "assistant"], { message: "must be one of system, user, assistant" }),
  parts: z.array(z.looseObject({ type: z.string({ message: "must be a string" }) }), {
    message: "is required: an array of UI message parts (AI SDK 5 or later)",
  }),
});

/** OpenAI chat fields an app may set through useChat's `body`; they go upstream as they are. */
const FORWARDED = [
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "seed",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "reasoning_effort",
  "user",
] as const;

export const aiSdkRequestSchema = z.looseObject({
  id: uiId.optional(),
  messages: z.array(uiMessage, { message: "is required and must be an array of UI messages" }).min(1, "must not be empty"),
  trigger: z.enum(["submit-message", "regenerate-message"], { message: 'must be "submit-message" or "regenerate-message"' }).optional(),
  messageId: uiId.optional(),
  model: modelName.optional(),
  summary_model: modelName.optional(),
  research: researchField.optional(),
  include_reasoning: z.boolean({ message: "must be true or false" }).optional(),
  temperature: z.number({ message: "must be a number" }).min(0).max(2).optional(),
  top_p: z.number({ message: "must be a number" }).min(0).max(1).optional(),
  max_tokens: z.number({ message: "must be a number" }).int().positive().optional(),
  max_completion_tokens: z.number({ message: "must be a number" }).int().positive().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)], { message: "must be a string or up to 4 strings" }).optional(),
  tools: z
    .array(z.looseObject({ type: z.literal("function", { message: 'only "function" tools are supported' }), function: z.looseObject({ name: z.string() }) }))
    .optional(),
});

export type AiSdkRequestBody = z.infer<typeof aiSdkRequestSchema>;

/** The request in chat terms, and what the stream needs to answer useChat. */
export interface TranslatedAiSdkRequest {
  model: string;
  messages: ChatMessage[];
  passthrough: Record<string, unknown>;
  research: ResearchRequest | undefined;
  /** `include_reasoning: true`: the model's own reasoning streams too (a second reasoning part). */
  includeReasoning: boolean;
  /** The chat's id (useChat's `id`): what a reconnect names. */
  chatId: string | undefined;
  /**
   * The id of the assistant message this stream writes: the last message's own when it is an
   * assistant message being continued (tool results sent back), as the SDK's
   * `getResponseUIMessageId` does — else undefined, and the gateway names a new one.
   */
  continuedMessageId: string | undefined;
}

/**
 * Translate a validated useChat body. The model is the body's, else `defaultModel`
 * (AI_SDK_DEFAULT_MODEL). Throws SurfaceInputError (→ 400) naming what cannot be translated.
 */
export function translateAiSdkRequest(b: AiSdkRequestBody, defaultModel: string | undefined): TranslatedAiSdkRequest {
  const model = b.model ?? defaultModel;
  if (model === undefined) {
    throw new SurfaceInputError("model: is required — add it with useChat's transport option `body: { model }`, or set AI_SDK_DEFAULT_MODEL on the gateway");
  }
  const messages: ChatMessage[] = [];
  b.messages.forEach((m, i) => addMessage(messages, m, `messages[${i}]`));
  if (messages.length === 0) throw new SurfaceInputError("messages: no message has any text, file or tool part to send");
  const passthrough: Record<string, unknown> = {};
  for (const field of FORWARDED) if (b[field] !== undefined) passthrough[field] = b[field];
  const last = b.messages.at(-1);
  return {
    model,
    messages,
    passthrough,
    research: b.research,
    includeReasoning: b.include_reasoning === true,
    chatId: b.id,
    continuedMessageId: last?.role === "assistant" && last.id ? last.id : undefined,
  };
}

type UiMessage = z.infer<typeof uiMessage>;
type UiPart = UiMessage["parts"][number];

/** Parts the gateway itself sent (or the SDK adds) that carry nothing for the model. */
const UI_ONLY = new Set(["reasoning", "source-url", "source-document", "step-start"]);

function addMessage(out: ChatMessage[], m: UiMessage, at: string): void {
  if (m.role === "assistant") return addAssistant(out, m.parts, at);
  const texts: string[] = [];
  const content: unknown[] = [];
  m.parts.forEach((p, j) => {
    const where = `${at}.parts[${j}]`;
    if (p.type === "text") {
      const text = textOf(p, where);
      texts.push(text);
      content.push({ type: "text", text });
    } else if (p.type === "file" && m.role === "user") content.push(imagePart(p, where));
    else if (!ignorable(p.type)) throw unsupported(p.type, where, m.role === "user" ? "text, file (images)" : "text");
  });
  // A message of data parts alone carries nothing for the model.
  if (content.length === 0) return;
  if (m.role === "system") out.push({ role: "system", content: texts.join("") });
  // One text part stays a plain string: what every upstream accepts.
  else out.push({ role: "user", content: content.length === 1 && texts.length === 1 ? texts[0] : content });
}

/** An assistant turn in steps, as the SDK splits it at `step-start`: text and calls, then their results. */
function addAssistant(out: ChatMessage[], parts: UiPart[], at: string): void {
  let text = "";
  let calls: { id: string; type: "function"; function: { name: string; arguments: string } }[] = [];
  let results: ChatMessage[] = [];
  const flush = (): void => {
    if (text !== "" || calls.length > 0) out.push({ role: "assistant", content: text === "" ? null : text, ...(calls.length > 0 && { tool_calls: calls }) });
    out.push(...results);
    text = "";
    calls = [];
    results = [];
  };
  parts.forEach((p, j) => {
    const where = `${at}.parts[${j}]`;
    if (p.type === "text") text += textOf(p, where);
    else if (p.type === "step-start") flush();
    else if (p.type === "dynamic-tool" || p.type.startsWith("tool-")) {
      const t = toolOf(p, where);
      if (t.state === "input-streaming") return; // never finished: nothing to call
      calls.push({
        id: t.toolCallId,
        type: "function",
        function: { name: t.name, arguments: typeof t.input === "string" ? t.input : JSON.stringify(t.input ?? {}) },
      });
      const result = toolResult(t);
      if (result !== undefined) results.push({ role: "tool", tool_call_id: t.toolCallId, content: result });
    } else if (!ignorable(p.type)) throw unsupported(p.type, where, "text, tool-*, dynamic-tool");
  });
  flush();
}

function ignorable(type: string): boolean {
  return UI_ONLY.has(type) || type.startsWith("data-");
}

function unsupported(type: string, at: string, supported: string): SurfaceInputError {
  return new SurfaceInputError(
    `${at}.type: "${type.slice(0, 64)}" parts are not supported here (${supported}; reasoning, source and data-* parts are ignored)`,
  );
}

const textPart = z.looseObject({ text: z.string({ message: "must be a string" }) });
const filePart = z.looseObject({ mediaType: z.string({ message: "must be a string" }), url: z.string({ message: "must be a string" }) });
const toolPart = z.looseObject({
  toolCallId: z.string({ message: "must be a string" }),
  state: z.string({ message: "must be a string" }),
  toolName: z.string().optional(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  errorText: z.string().optional(),
  approval: z.looseObject({ reason: z.string().optional() }).optional(),
});

function textOf(p: UiPart, at: string): string {
  return parsePart(textPart, p, at).text;
}

/** A user's image as an OpenAI `image_url` part (a data: URL or a link, as useChat made it). */
function imagePart(p: UiPart, at: string): unknown {
  const f = parsePart(filePart, p, at);
  if (!f.mediaType.startsWith("image/")) throw new SurfaceInputError(`${at}.mediaType: "${f.mediaType.slice(0, 64)}" files are not supported (images only)`);
  return { type: "image_url", image_url: { url: f.url } };
}

function toolOf(p: UiPart, at: string) {
  const t = parsePart(toolPart, p, at);
  const name = p.type === "dynamic-tool" ? t.toolName : p.type.slice("tool-".length);
  if (!name) throw new SurfaceInputError(`${at}.toolName: is required for a dynamic-tool part`);
  return { ...t, name };
}

/** What the model is told a call returned, or undefined when the call has no result yet. */
function toolResult(t: z.infer<typeof toolPart>): string | undefined {
  if (t.state === "output-available") return typeof t.output === "string" ? t.output : JSON.stringify(t.output ?? null);
  if (t.state === "output-error") return t.errorText ?? "The tool call failed.";
  if (t.state === "output-denied") return t.approval?.reason ?? "Tool call execution denied.";
  return undefined;
}

function parsePart<T extends z.ZodType>(schema: T, p: UiPart, at: string): z.infer<T> {
  const r = schema.safeParse(p);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new SurfaceInputError(`${at}.${issue?.path.join(".") || "part"}: ${issue?.message ?? "invalid"}`);
}
