import { z } from "zod";
import type { ChatMessage, ResearchRequest } from "../pipeline/index.js";
import { researchField } from "../research/index.js";
import { SurfaceInputError } from "./types.js";

/*
 * `POST /openai/v1/responses`: the subset of the Responses API a chat app uses, translated to
 * the chat shape the pipeline (and every upstream) speaks. What cannot be translated is refused
 * with a 400 that names it, never silently dropped — except the few things documented as ignored.
 */

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional(), image_url: z.string().optional() });

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"], { message: "must be one of user, assistant, system, developer" }),
  content: z.union([z.string(), z.array(contentPart)], { message: "must be a string or an array of content parts" }),
});

const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string({ message: "is required" }),
  name: z.string({ message: "is required" }),
  arguments: z.string({ message: "must be a string" }),
});

const functionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string({ message: "is required" }),
  output: z.union([z.string(), z.array(z.unknown())]),
});

/** Earlier reasoning items are accepted (clients pass previous output back) and not forwarded. */
const reasoningItem = z.looseObject({ type: z.literal("reasoning") });

const functionTool = z.looseObject({
  type: z.literal("function", { message: 'only "function" tools are supported' }),
  name: z.string({ message: "is required" }),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});

const textFormat = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("text") }),
    z.looseObject({ type: z.literal("json_object") }),
    z.looseObject({ type: z.literal("json_schema"), name: z.string(), schema: z.record(z.string(), z.unknown()), strict: z.boolean().nullable().optional() }),
  ],
  { message: 'must be {"type":"text"}, {"type":"json_object"} or {"type":"json_schema",…}' },
);

export const responsesRequestSchema = z.looseObject({
  model: z.string({ message: "is required and must be a string" }).trim().min(1, "must not be empty"),
  input: z.union([z.string(), z.array(z.unknown())], { message: "is required: a string or an array of input items" }),
  instructions: z.string().nullable().optional(),
  tools: z.array(functionTool).optional(),
  tool_choice: z
    .union([z.enum(["auto", "none", "required"]), z.looseObject({ type: z.literal("function"), name: z.string() })], {
      message: 'must be "auto", "none", "required" or {"type":"function","name":…}',
    })
    .optional(),
  stream: z.boolean({ message: "must be true or false" }).optional(),
  reasoning: z
    .looseObject({
      effort: z.string().nullable().optional(),
      summary: z.enum(["auto", "concise", "detailed", "none"], { message: "must be auto, concise, detailed or none" }).nullable().optional(),
    })
    .nullable()
    .optional(),
  max_output_tokens: z.number().int().positive({ message: "must be a positive integer" }).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  user: z.string().optional(),
  text: z.looseObject({ format: textFormat.optional() }).optional(),
  previous_response_id: z.string().nullable().optional(),
  summary_model: z.string().trim().min(1, "must not be empty").optional(),
  // Research mode, a gateway extension (as on chat completions); never sent upstream.
  research: researchField.optional(),
  // The model's own reasoning as `reasoning_text` content parts, a gateway extension; never sent upstream.
  include_reasoning: z.boolean({ message: "must be true or false" }).optional(),
});

export type ResponsesRequestBody = z.infer<typeof responsesRequestSchema>;

/** The request in chat terms: messages and the fields to send upstream. */
export interface TranslatedResponsesRequest {
  messages: ChatMessage[];
  passthrough: Record<string, unknown>;
  stream: boolean;
  /** `reasoning.summary: "none"` (or null): no summary parts, and no summary calls. */
  summaries: boolean;
  /** Research mode, when the request turned it on. */
  research: ResearchRequest | undefined;
}

/** Translate a validated Responses body into the chat shape. Throws SurfaceInputError (→ 400). */
export function translateResponsesRequest(b: ResponsesRequestBody): TranslatedResponsesRequest {
  if (b.previous_response_id) {
    throw new SurfaceInputError(
      "previous_response_id: not supported — the gateway stores no responses; pass the previous output items in `input`",
      "unsupported_parameter",
    );
  }
  const messages: ChatMessage[] = [];
  if (b.instructions) messages.push({ role: "system", content: b.instructions });
  if (typeof b.input === "string") messages.push({ role: "user", content: b.input });
  else b.input.forEach((item, i) => addItem(messages, item, i));
  if (messages.length === 0) throw new SurfaceInputError("input: must hold at least one message");

  const passthrough: Record<string, unknown> = {};
  if (b.tools?.length) {
    passthrough.tools = b.tools.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description && { description: t.description }),
        ...(t.parameters && { parameters: t.parameters }),
        ...(t.strict != null && { strict: t.strict }),
      },
    }));
  }
  if (b.tool_choice !== undefined)
    passthrough.tool_choice = typeof b.tool_choice === "string" ? b.tool_choice : { type: "function", function: { name: b.tool_choice.name } };
  if (b.max_output_tokens != null) passthrough.max_tokens = b.max_output_tokens;
  if (b.temperature != null) passthrough.temperature = b.temperature;
  if (b.top_p != null) passthrough.top_p = b.top_p;
  if (b.parallel_tool_calls != null) passthrough.parallel_tool_calls = b.parallel_tool_calls;
  if (b.user !== undefined) passthrough.user = b.user;
  if (b.reasoning?.effort) passthrough.reasoning_effort = b.reasoning.effort;
  const format = b.text?.format;
  if (format?.type === "json_object") passthrough.response_format = { type: "json_object" };
  if (format?.type === "json_schema") {
    passthrough.response_format = {
      type: "json_schema",
      json_schema: { name: format.name, schema: format.schema, ...(format.strict != null && { strict: format.strict }) },
    };
  }
  const summary = b.reasoning?.summary;
  return {
    messages,
    passthrough,
    stream: b.stream ?? false,
    summaries: !(b.reasoning !== undefined && b.reasoning !== null && (summary === null || summary === "none")),
    research: b.research,
  };
}

function addItem(messages: ChatMessage[], raw: unknown, i: number): void {
  const type = typeof raw === "object" && raw !== null && "type" in raw ? raw.type : undefined;
  const at = `input[${i}]`;
  if (type === "reasoning") {
    if (!reasoningItem.safeParse(raw).success) throw new SurfaceInputError(`${at}: not a reasoning item`);
    return;
  }
  if (type === "function_call") {
    const p = functionCallItem.safeParse(raw);
    if (!p.success) throw new SurfaceInputError(`${at}.${issuePath(p.error)}`);
    const call = { id: p.data.call_id, type: "function", function: { name: p.data.name, arguments: p.data.arguments } };
    // Calls that follow an assistant turn belong to it, as one chat message with tool_calls.
    const last = messages.at(-1);
    if (last?.role === "assistant" && !("tool_call_id" in last)) {
      last.tool_calls = [...(Array.isArray(last.tool_calls) ? (last.tool_calls as unknown[]) : []), call];
    } else messages.push({ role: "assistant", content: null, tool_calls: [call] });
    return;
  }
  if (type === "function_call_output") {
    const p = functionCallOutputItem.safeParse(raw);
    if (!p.success) throw new SurfaceInputError(`${at}.${issuePath(p.error)}`);
    messages.push({ role: "tool", tool_call_id: p.data.call_id, content: typeof p.data.output === "string" ? p.data.output : JSON.stringify(p.data.output) });
    return;
  }
  if (type !== undefined && type !== "message")
    throw new SurfaceInputError(`${at}.type: ${JSON.stringify(type)} items are not supported (message, function_call, function_call_output, reasoning)`);
  const p = messageItem.safeParse(raw);
  if (!p.success) throw new SurfaceInputError(`${at}.${issuePath(p.error)}`);
  messages.push({ role: p.data.role, content: chatContent(p.data.content, at) });
}

/** Responses content parts → chat content: plain text stays a string; images become image_url parts. */
function chatContent(content: string | z.infer<typeof contentPart>[], at: string): string | unknown[] {
  if (typeof content === "string") return content;
  const hasImage = content.some((p) => p.type === "input_image");
  if (!hasImage) return content.map((p, j) => textOf(p, `${at}.content[${j}]`)).join("");
  return content.map((p, j) =>
    p.type === "input_image" ? { type: "image_url", image_url: { url: p.image_url ?? "" } } : { type: "text", text: textOf(p, `${at}.content[${j}]`) },
  );
}

function textOf(p: z.infer<typeof contentPart>, at: string): string {
  if ((p.type === "input_text" || p.type === "output_text" || p.type === "text" || p.type === "refusal") && typeof p.text === "string") return p.text;
  throw new SurfaceInputError(`${at}.type: "${p.type}" parts are not supported (input_text, output_text, input_image)`);
}

function issuePath(error: z.ZodError): string {
  const i = error.issues[0];
  return `${i?.path.join(".") || "item"}: ${i?.message ?? "invalid"}`;
}
