import type { CapabilityMode } from "../config/index.js";
import { classifyTask, explicitCategory, type RoutePlan, type Router } from "../providers/index.js";
import { effectiveMode, isEffort, MODES, resolveThinkingControl, thinkingFields } from "../reasoning/index.js";
import { reportsNativeReasoning, type UpstreamTarget } from "../upstream/index.js";
import type { IncomingTrace } from "../telemetry/index.js";

/** What a request asked of research mode (`research: true` or `{query, max_results}`). */
export interface ResearchRequest {
  /** Defaults to the latest user turn. */
  query?: string;
  maxResults?: number;
}

/** A chat message as the gateway needs it; other fields on a message pass through untouched. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  [key: string]: unknown;
}

/** A validated request: the fields the gateway reads, plus everything else to pass upstream. */
export interface StagedRequest {
  /** The gateway's own id for this request (never the client's): it keys its stream and record. */
  requestId: string;
  /** The client's own `x-client-request-id` / `x-request-id`, kept for correlation only. */
  clientRequestId?: string;
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  /** The gateway's extension; resolved against SUMMARY_MODEL_DEFAULT and `model` by the caller. */
  summaryModel: string;
  /** `x-task-category` header, for routine / complex / safety_critical routing. */
  taskCategory: string | undefined;
  /** The body as received, kept only for the request log when LOG_BODIES=true. */
  body: unknown;
  /** Unknown fields for the upstream, gateway extensions already removed. */
  passthrough: Record<string, unknown>;
  /** `false` when the surface asked for no summaries (no summary calls are made). */
  summaries?: boolean;
  /** Research mode: search the web first and ground the answer in cited sources. */
  research?: ResearchRequest;
  /** The name of the API key the request came with (for the request log); absent without keys. */
  keyName?: string;
  /** `include_reasoning: true`: the model's own reasoning streams to the client too (`reasoning.delta`). */
  includeReasoning?: boolean;
  /** The caller's W3C trace context (`traceparent`), continued by the request's span. */
  trace?: IncomingTrace;
}

/** Fields that belong to the gateway and must never reach an upstream. */
export const GATEWAY_EXTENSION_FIELDS = ["summary_model", "research", "include_reasoning"] as const;

/** Asks tag-following models to separate reasoning from the answer in a way we can parse. */
export const TAG_INSTRUCTION =
  "First think through the problem inside <analysis>...</analysis>. " + "Then give only the final answer for the user inside <final>...</final>.";

/**
 * The upstream body: the client's own fields, our model and messages, always streamed.
 * In `auto`/`tags` mode the tag instruction is merged into the first system message (some chat
 * templates accept only one), or added as one.
 */
export function buildUpstreamBody(req: StagedRequest, mode: CapabilityMode, upstreamModel = req.model): Record<string, unknown> {
  const messages = MODES[mode].instruct ? withTagInstruction(req.messages) : req.messages;
  // Usage comes in a last chunk only when asked for; the request log and `output.done` want it.
  const streamOptions = { include_usage: true, ...(isRecord(req.passthrough.stream_options) ? req.passthrough.stream_options : {}) };
  return { ...req.passthrough, model: upstreamModel, messages, stream: true, stream_options: streamOptions };
}

/** One attempt's upstream body, and the format its stream is read with. */
export interface UpstreamCall {
  body: Record<string, unknown>;
  mode: CapabilityMode;
}

/**
 * Plans one attempt on a provider: the client's `reasoning_effort` becomes the switch the family's
 * chat template reads (OpenAI-compatible providers; the native adapters map it themselves), a native
 * API reporting its own reasoning is read by its fields alone, and DeepSeek V3.1 is read R1-style
 * only when thinking was turned on.
 */
export function planUpstreamCall(
  req: StagedRequest,
  capability: CapabilityMode,
  c: { upstreamModel: string; target: Pick<UpstreamTarget, "kind" | "native"> },
): UpstreamCall {
  const effort = req.passthrough.reasoning_effort;
  let passthrough = req.passthrough;
  const openai = c.target.kind === undefined || c.target.kind === "openai";
  const control = openai ? resolveThinkingControl(req.model, c.upstreamModel) : undefined;
  if (control && isEffort(effort)) passthrough = withThinking(passthrough, thinkingFields(control, effort));
  const native = capability === "auto" && reportsNativeReasoning(c.target, typeof effort === "string" ? effort : undefined);
  const mode = effectiveMode(native ? "fields" : capability, passthrough.chat_template_kwargs, control);
  return { body: buildUpstreamBody({ ...req, passthrough }, mode, c.upstreamModel), mode };
}

/** `reasoning_effort` replaced by the family's own fields; the client's own template kwargs win. */
function withThinking(p: Record<string, unknown>, f: { kwargs?: Record<string, unknown>; reasoningEffort?: string }): Record<string, unknown> {
  const { reasoning_effort: _dropped, ...rest } = p;
  if (f.reasoningEffort !== undefined) rest.reasoning_effort = f.reasoningEffort;
  if (f.kwargs) rest.chat_template_kwargs = { ...f.kwargs, ...(isRecord(p.chat_template_kwargs) ? p.chat_template_kwargs : {}) };
  return rest;
}

function withTagInstruction(messages: ChatMessage[]): ChatMessage[] {
  const first = messages[0];
  if (first && first.role === "system" && typeof first.content === "string") {
    return [{ ...first, content: `${first.content}\n\n${TAG_INSTRUCTION}` }, ...messages.slice(1)];
  }
  return [{ role: "system", content: TAG_INSTRUCTION }, ...messages];
}

/** The messages with `instruction` first: merged into a leading system message (some chat templates accept only one), or added as one. */
export function withInstruction(messages: readonly ChatMessage[], instruction: string): ChatMessage[] {
  const first = messages[0];
  if (first && first.role === "system" && typeof first.content === "string") {
    return [{ ...first, content: `${instruction}\n\n${first.content}` }, ...messages.slice(1)];
  }
  return [{ role: "system", content: instruction }, ...messages];
}

/** The text the prompt summary is made from: the latest user turn, with a little context before it. */
export function promptText(messages: ChatMessage[]): string {
  const turns = messages.filter((m) => m.role !== "system").slice(-3);
  const lastUser = [...turns].reverse().find((m) => m.role === "user");
  const picked = turns.length > 1 && lastUser ? turns : lastUser ? [lastUser] : messages.slice(-1);
  if (picked.length === 1) return contentText(picked[0]?.content);
  return picked.map((m) => `${m.role}: ${contentText(m.content)}`).join("\n\n");
}

/** Text of a message's content: a string, or the `text` parts of an array of content parts. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p: unknown) => (typeof p === "object" && p !== null && "text" in p && typeof p.text === "string" ? p.text : ""))
    .filter(Boolean)
    .join("\n");
}

/**
 * Where a request goes: the route's candidates, local first for a routine task when the route has
 * local providers, cloud only for a safety-critical one, and without the providers whose JSON
 * answers keep failing when it asks for JSON. Without local providers only a declared
 * `safety_critical` needs classifying (the rest would route the same way).
 */
export function planFor(req: StagedRequest, router: Router): RoutePlan {
  const metadata = metadataCategory(req.passthrough);
  const classify = router.usesTaskRouting || explicitCategory(req.taskCategory, metadata) === "safety_critical";
  const classification = classify
    ? classifyTask(
        { header: req.taskCategory, metadataCategory: metadata, text: req.messages.map((m) => contentText(m.content)).join("\n") },
        router.taskRouting,
      )
    : undefined;
  return router.plan(req.model, { kind: "chat", classification, json: asksForJson(req.passthrough.response_format) });
}

/** `response_format` json_object or json_schema: an answer the gateway checks (Responses' `text.format` arrives as one). */
function asksForJson(format: unknown): boolean {
  return typeof format === "object" && format !== null && "type" in format && (format.type === "json_object" || format.type === "json_schema");
}

function metadataCategory(passthrough: Record<string, unknown>): unknown {
  const m = passthrough.metadata;
  return typeof m === "object" && m !== null && "category" in m ? m.category : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
