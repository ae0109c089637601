import type { Source, SseOut, StagedEvent, ToolCallDelta, Usage } from "../events/index.js";
import type { Failure, StreamEncoder } from "./types.js";

/*
 * The Vercel AI SDK's UI message stream (`POST /ai-sdk/v1/chat`, header
 * `x-vercel-ai-ui-message-stream: v1`): one JSON chunk per `data:` line, ending `data: [DONE]`,
 * so `useChat` with the SDK's DefaultChatTransport renders a staged answer with no custom code.
 *
 * Every summary travels twice. As reasoning — one reasoning part, the prompt summary, progress
 * summaries and reasoning summary in their staged order, a blank line between them, as the OpenAI
 * surfaces join them — which any UI that shows "thinking" already renders. And as typed data
 * parts a UI can place itself: `data-prompt-summary`, `data-progress` (one part, replaced in place
 * by each new progress summary: the SDK reconciles data parts by type and id) and
 * `data-reasoning-summary`. Their ids are the stage and the request id, so each turn, and each
 * round of a tool loop, keeps its own. With `include_reasoning`, the model's own reasoning streams
 * live as a second reasoning part (`providerMetadata.gateway.kind` tells the two apart: `summaries`
 * or `model`), ended before the reasoning summary. Research sources are `source-url` parts (`sourceId` is the
 * number the answer cites as `[n]`); the answer is one text part; tool calls are
 * `tool-input-start` / `-delta` / `-available`. Usage and timings ride on `finish` as message
 * metadata. What is only news (a retry in progress, a summary that fell back) is a transient data
 * part: `onData` sees it, the message does not keep it. A failure after the stream began is an
 * `error` chunk, which useChat shows as its error.
 */

export interface AiSdkContext {
  requestId: string;
  model: string;
  /** The assistant message this stream writes (useChat replaces its own placeholder id with it). */
  messageId: string;
}

/** What the gateway adds to the message's `metadata` (on `start`, then merged with `finish`'s). */
export interface AiSdkMessageMetadata {
  requestId: string;
  model: string;
  usage?: AiSdkUsage;
  /** The gateway's stage timings in ms since the request was accepted (see the staged `output.done`). */
  timings?: Record<string, unknown>;
  route?: unknown;
  validation?: unknown;
}

/** Token counts in the AI SDK's `LanguageModelUsage` names. */
export interface AiSdkUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  reasoningTokens?: number;
  cachedInputTokens?: number;
}

const PART_SEPARATOR = "\n\n";

/** Where a reasoning part is: not begun, streaming, or ended. */
type Phase = "none" | "open" | "closed";

/** The `finish` chunk's reason: the SDK's names for OpenAI's. */
const FINISH_REASONS: Record<string, string> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool-calls",
  function_call: "tool-calls",
  content_filter: "content-filter",
};

interface OpenCall {
  id: string;
  name: string;
  args: string;
}

export function aiSdkEncoder(ctx: AiSdkContext): StreamEncoder {
  const partId = (stage: string) => `${stage}-${ctx.requestId}`;
  const reasoningId = partId("reasoning");
  const modelReasoningId = partId("model-reasoning");
  const textId = partId("text");
  let started = false;
  let reasoning: Phase = "none";
  // The model's own reasoning (`include_reasoning`): its own part, streamed as it comes.
  let modelReasoning: Phase = "none";
  let textOpen = false;
  const calls = new Map<number, OpenCall>();
  // The messages of the event being encoded go here; set by each entry point.
  let sink: SseOut = () => undefined;
  const send = (chunk: Record<string, unknown>): void => sink({ data: JSON.stringify(chunk) });

  const start = (): void => {
    if (started) return;
    started = true;
    const metadata: AiSdkMessageMetadata = { requestId: ctx.requestId, model: ctx.model };
    send({ type: "start", messageId: ctx.messageId, messageMetadata: metadata });
    send({ type: "start-step" });
  };
  /** A data part the message keeps, replaced in place by a later one with the same type and id. */
  const data = (type: string, stage: string, value: Record<string, unknown>): void => send({ type: `data-${type}`, id: partId(stage), data: value });
  const reason = (text: string): void => {
    if (text === "" || reasoning === "closed") return;
    if (reasoning === "none") send({ type: "reasoning-start", id: reasoningId, providerMetadata: { gateway: { kind: "summaries" } } });
    send({ type: "reasoning-delta", id: reasoningId, delta: reasoning === "open" ? PART_SEPARATOR + text : text });
    reasoning = "open";
  };
  const closeReasoning = (): void => {
    closeModelReasoning();
    if (reasoning === "open") send({ type: "reasoning-end", id: reasoningId });
    reasoning = "closed";
  };
  const modelReason = (text: string): void => {
    if (text === "" || modelReasoning === "closed") return;
    if (modelReasoning === "none") send({ type: "reasoning-start", id: modelReasoningId, providerMetadata: { gateway: { kind: "model" } } });
    modelReasoning = "open";
    send({ type: "reasoning-delta", id: modelReasoningId, delta: text });
  };
  function closeModelReasoning(): void {
    if (modelReasoning === "open") send({ type: "reasoning-end", id: modelReasoningId });
    modelReasoning = "closed";
  }

  function text(delta: string): void {
    closeReasoning();
    if (delta === "") return;
    if (!textOpen) send({ type: "text-start", id: textId });
    textOpen = true;
    send({ type: "text-delta", id: textId, delta });
  }

  function toolFragments(fragments: ToolCallDelta[]): void {
    closeReasoning();
    for (const f of fragments) {
      let call = calls.get(f.index);
      if (!call) {
        call = { id: f.id ?? `call-${ctx.requestId}-${f.index}`, name: f.function?.name ?? "", args: "" };
        calls.set(f.index, call);
        send({ type: "tool-input-start", toolCallId: call.id, toolName: call.name });
      }
      const args = f.function?.arguments;
      if (args) {
        call.args += args;
        send({ type: "tool-input-delta", toolCallId: call.id, inputTextDelta: args });
      }
    }
  }

  function done(e: Extract<StagedEvent, { event: "output.done" }>): void {
    closeReasoning();
    if (textOpen) send({ type: "text-end", id: textId });
    textOpen = false;
    for (const call of calls.values()) {
      const input = parseArguments(call.args);
      if (input.ok) send({ type: "tool-input-available", toolCallId: call.id, toolName: call.name, input: input.value });
      else
        send({
          type: "tool-input-error",
          toolCallId: call.id,
          toolName: call.name,
          input: call.args,
          errorText: "the model's tool arguments are not valid JSON",
        });
    }
    send({ type: "finish-step" });
    const d = e.data;
    const metadata: Partial<AiSdkMessageMetadata> = {
      ...(d.usage && { usage: aiSdkUsage(d.usage) }),
      timings: { ...d.timings },
      ...(d.route && { route: d.route }),
      ...(d.validation && { validation: d.validation }),
    };
    send({ type: "finish", finishReason: FINISH_REASONS[d.finish_reason ?? "stop"] ?? "other", messageMetadata: metadata });
  }

  return {
    event(e: StagedEvent, out: SseOut): void {
      sink = out;
      start();
      switch (e.event) {
        case "summary.prompt":
          data("prompt-summary", "prompt-summary", { text: e.data.text, source: e.data.source });
          return reason(e.data.text);
        case "research.sources":
          return sources(e.data.sources, send);
        case "summary.progress":
          data("progress", "progress", { index: e.data.index, text: e.data.text, source: e.data.source });
          return reason(e.data.text);
        case "reasoning.delta":
          return modelReason(e.data.text);
        case "summary.reasoning":
          closeModelReasoning();
          data("reasoning-summary", "reasoning-summary", { text: e.data.text, source: e.data.source });
          reason(e.data.text);
          return closeReasoning();
        case "output.delta":
          return text(e.data.text);
        case "output.tool_calls":
          return toolFragments(e.data.tool_calls);
        case "output.done":
          return done(e);
        case "upstream.retry": {
          const r = e.data;
          return send({
            type: "data-upstream-retry",
            data: { provider: r.provider, attempt: r.attempt, maxRetries: r.max_retries, delayMs: r.delay_ms, code: r.code, message: r.message },
            transient: true,
          });
        }
        case "error":
          // A stage that fell back (its summary is a fallback) or a research step that failed:
          // news for the UI, not the end of the answer — an `error` chunk would end useChat's turn.
          return send({
            type: "data-stage-error",
            data: { stage: e.data.stage, code: e.data.code, message: e.data.message, retryable: e.data.retryable },
            transient: true,
          });
        default:
          // Every event has its place above; a new one fails to compile until it gets one.
          return e satisfies never;
      }
    },
    failure(f: Failure, out: SseOut): void {
      sink = out;
      send({ type: "error", errorText: f.message });
    },
    end: (out: SseOut) => out({ data: "[DONE]" }),
  };
}

/** One `source-url` per search result; `sourceId` is the `[n]` the answer cites it by. */
function sources(list: Source[], send: (chunk: Record<string, unknown>) => void): void {
  for (const s of list) {
    send({ type: "source-url", sourceId: String(s.index), url: s.url, title: s.title, providerMetadata: { gateway: { index: s.index, snippet: s.snippet } } });
  }
}

function parseArguments(args: string): { ok: true; value: unknown } | { ok: false } {
  // A call with no arguments at all streams none: it is called with `{}`.
  if (args.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(args) as unknown };
  } catch {
    return { ok: false };
  }
}

/** OpenAI usage → the AI SDK's names (only the counts the upstream reported). */
export function aiSdkUsage(u: Usage): AiSdkUsage {
  const counts: [keyof AiSdkUsage, unknown][] = [
    ["inputTokens", u.prompt_tokens],
    ["outputTokens", u.completion_tokens],
    ["totalTokens", u.total_tokens],
    ["reasoningTokens", (u.completion_tokens_details as { reasoning_tokens?: unknown } | undefined)?.reasoning_tokens],
    ["cachedInputTokens", (u.prompt_tokens_details as { cached_tokens?: unknown } | undefined)?.cached_tokens],
  ];
  const usage: AiSdkUsage = {};
  for (const [name, value] of counts) if (typeof value === "number") usage[name] = value;
  return usage;
}
