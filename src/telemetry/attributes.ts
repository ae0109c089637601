import type { Attributes } from "@opentelemetry/api";
import type { CallFacts, StageFacts } from "./types.js";

/**
 * Attribute names. GenAI ones follow the OpenTelemetry semantic conventions for generative AI
 * (docs/gen-ai/gen-ai-spans.md, "Inference" span; development status); `gen_ai.provider.name`
 * is the current name for what was `gen_ai.system`. The gateway's own are under `gateway.`.
 */
export const ATTR = {
  operation: "gen_ai.operation.name",
  provider: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  maxTokens: "gen_ai.request.max_tokens",
  temperature: "gen_ai.request.temperature",
  topP: "gen_ai.request.top_p",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  finishReasons: "gen_ai.response.finish_reasons",
  inputMessages: "gen_ai.input.messages",
  outputMessages: "gen_ai.output.messages",
  errorType: "error.type",
  serverAddress: "server.address",
  serverPort: "server.port",
  httpMethod: "http.request.method",
  httpRoute: "http.route",
  httpStatus: "http.response.status_code",
  requestId: "gateway.request_id",
  clientRequestId: "gateway.client_request_id",
  stream: "gateway.stream",
  summaryModel: "gateway.summary_model",
  gatewayProvider: "gateway.provider",
  outcome: "gateway.outcome",
  retry: "gateway.retry",
  attempts: "gateway.upstream.attempts",
  stage: "gateway.stage",
  summarySource: "gateway.summary.source",
  sources: "gateway.research.sources",
  valid: "gateway.validation.valid",
  validationAttempt: "gateway.validation.attempt",
} as const;

/** Captured text is cut here, per message part: a span is no place for a whole book. */
export const MAX_CAPTURED_CHARS = 16 * 1024;

/**
 * `gen_ai.provider.name` for a provider kind: the convention's well-known value where there is
 * one (`openai` for every OpenAI-compatible server — the convention's own advice for APIs spoken
 * by many hosts), else the kind's name.
 */
export function providerName(kind: string | undefined): string {
  if (kind === undefined || kind === "openai") return "openai";
  if (kind === "gemini") return "gcp.gemini";
  return kind;
}

/** `server.address` and `server.port` of a base URL; nothing for one that does not parse. */
export function serverAttributes(baseUrl: string): Attributes {
  try {
    const u = new URL(baseUrl);
    const port = u.port === "" ? (u.protocol === "https:" ? 443 : 80) : Number(u.port);
    return { [ATTR.serverAddress]: u.hostname, [ATTR.serverPort]: port };
  } catch {
    return {};
  }
}

/** The sampling parameters the convention names, when the request set them as numbers. */
export function requestParameters(passthrough: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  const maxTokens = passthrough.max_completion_tokens ?? passthrough.max_tokens;
  if (typeof maxTokens === "number") out[ATTR.maxTokens] = maxTokens;
  if (typeof passthrough.temperature === "number") out[ATTR.temperature] = passthrough.temperature;
  if (typeof passthrough.top_p === "number") out[ATTR.topP] = passthrough.top_p;
  return out;
}

/** Usage, finish reason and response model, as the convention names them. */
export function callFactAttributes(f: CallFacts): Attributes {
  const out: Attributes = {};
  if (f.responseModel !== undefined) out[ATTR.responseModel] = f.responseModel;
  if (typeof f.usage?.prompt_tokens === "number") out[ATTR.inputTokens] = f.usage.prompt_tokens;
  if (typeof f.usage?.completion_tokens === "number") out[ATTR.outputTokens] = f.usage.completion_tokens;
  if (typeof f.finishReason === "string") out[ATTR.finishReasons] = [f.finishReason];
  return out;
}

/** A stage's facts as attributes; its text only when content capture is on. */
export function stageAttributes(f: StageFacts, capture: boolean): Attributes {
  const out: Attributes = {};
  if (f.source !== undefined) out[ATTR.summarySource] = f.source;
  if (f.sources !== undefined) out[ATTR.sources] = f.sources;
  if (f.valid !== undefined) out[ATTR.valid] = f.valid;
  if (f.attempt !== undefined) out[ATTR.validationAttempt] = f.attempt;
  if (capture && f.input !== undefined) out[ATTR.inputMessages] = textMessages("user", f.input);
  if (capture && f.output !== undefined) out[ATTR.outputMessages] = textMessages("assistant", f.output);
  return out;
}

/** One message of text in the convention's message shape (`role` and `parts`), as a JSON string. */
export function textMessages(role: string, text: string, finishReason?: string | null): string {
  return JSON.stringify([{ role, parts: [{ type: "text", content: clip(text) }], ...(typeof finishReason === "string" && { finish_reason: finishReason }) }]);
}

/**
 * Chat messages in the convention's input shape: each message's `role`, its text as `text` parts
 * (a string content, or the text parts of an array), every part clipped. A JSON string, since
 * span attributes hold no structures.
 */
export function inputMessages(messages: readonly unknown[]): string {
  return JSON.stringify(
    messages.map((m) => {
      const role = isRecord(m) && typeof m.role === "string" ? m.role : "user";
      const content = isRecord(m) ? m.content : undefined;
      const texts =
        typeof content === "string"
          ? [content]
          : Array.isArray(content)
            ? content
                .filter(isRecord)
                .map((p) => p.text)
                .filter((t): t is string => typeof t === "string")
            : [];
      return { role, parts: texts.map((t) => ({ type: "text", content: clip(t) })) };
    }),
  );
}

function clip(text: string): string {
  return text.length > MAX_CAPTURED_CHARS ? text.slice(0, MAX_CAPTURED_CHARS) : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What a `chat.completion` object (a summary call's answer) reports: its model, usage and finish reason. */
export function completionFacts(completion: unknown): CallFacts {
  if (!isRecord(completion)) return {};
  const choice: unknown = Array.isArray(completion.choices) ? completion.choices[0] : undefined;
  const usage = isRecord(completion.usage) ? completion.usage : undefined;
  return {
    responseModel: typeof completion.model === "string" ? completion.model : undefined,
    usage: usage && { prompt_tokens: numberOr(usage.prompt_tokens), completion_tokens: numberOr(usage.completion_tokens) },
    finishReason: isRecord(choice) && typeof choice.finish_reason === "string" ? choice.finish_reason : undefined,
  };
}

function numberOr(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}
