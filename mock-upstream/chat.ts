import { ServerResponse } from "node:http";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { CallLog } from "./calls.js";
import type { FailCounter, FailResponse } from "./faults.js";
import type { EndpointRegistry } from "./endpoints.js";
import { hostileResponse } from "./hostile.js";
import { chunk, completion, errorBody, usageChunk, usageFor } from "./openai.js";
import type { CompletionIdentity } from "./openai.js";
import { classifyCall, isRecord, promptText, readMessages, userText } from "./requests.js";
import { deltaFields, resolveScenario, scriptMessage, scriptPieces } from "./scenarios.js";
import { scriptedFrames, scriptedMessage, type ScriptedChunk } from "./script.js";
import { SSE_HEADERS, scriptedBody } from "./stream.js";
import type { Frame } from "./stream.js";
import { summarizeProgress, summarizePrompt, summarizeReasoning } from "./summarize.js";
import { isLongReasoner, longReasoning } from "./long-reasoning.js";
import { sleep, untilAborted } from "./timing.js";
import type { MockCall, MockCallKind, MockOptions } from "./types.js";

/** What the chat route needs from the mock; built once in `createMockUpstream`. */
export interface ChatDeps {
  options: () => MockOptions;
  log: CallLog;
  failures: FailCounter;
  endpoints: EndpointRegistry;
  /** Aborts when the mock shuts down, so no call outlives `close()`. */
  lifetime: () => AbortSignal;
  /** The next queued script (`scripts`), taken by this call; undefined when the queue is empty. */
  nextScript: () => ScriptedChunk[] | undefined;
}

function outgoingOf(c: Context): ServerResponse | undefined {
  const env: unknown = c.env;
  if (!isRecord(env)) return undefined;
  return env.outgoing instanceof ServerResponse ? env.outgoing : undefined;
}

function rejection(status: number, message: string, code?: string): FailResponse {
  return { status, body: errorBody(status, message, code), headers: {} };
}

/**
 * Friendli dedicated endpoints are addressed by id as the model. One that is not running refuses
 * the call with 503, and a sleeping one starts waking: Friendli documents that a request wakes a
 * sleeping endpoint just as the wake call does, so a retrying client gets through once it is up.
 */
function dedicatedRefusal(model: string, endpoints: EndpointRegistry): FailResponse | undefined {
  if (!endpoints.has(model)) return undefined;
  const now = endpoints.status(model);
  if (!now.ok || now.body.status === "RUNNING") return undefined;
  const after = now.body.status === "SLEEPING" ? endpoints.wake(model) : now;
  const status = after.ok ? after.body.status : now.body.status;
  return {
    status: 503,
    body: { error: { message: `Endpoint is unavailable (${status})`, type: "service_unavailable", code: "endpoint_unavailable" } },
    headers: { "retry-after": "1" },
  };
}

/** The reasons to refuse a call before any scripted work, in the order a real server checks them. */
function refuse(parsedOk: boolean, body: Record<string, unknown>, kind: MockCallKind, deps: ChatDeps, opts: MockOptions): FailResponse | undefined {
  if (!parsedOk) return rejection(400, "Request body must be a JSON object", "invalid_json");
  if (typeof body.model !== "string" || body.model === "") return rejection(400, "model: a string is required", "invalid_model");
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return rejection(400, "messages: a non-empty array is required", "invalid_messages");
  }
  const dedicated = dedicatedRefusal(body.model, deps.endpoints);
  if (dedicated !== undefined) return dedicated;
  return deps.failures.decide(kind, opts.faults);
}

function delayFor(kind: MockCallKind, opts: MockOptions): number {
  if (kind === "prompt_summary") return opts.latency.promptSummaryMs;
  if (kind === "reasoning_summary") return opts.latency.reasoningSummaryMs;
  if (kind === "progress_summary") return opts.latency.progressSummaryMs;
  return opts.latency.headersMs;
}

function stalls(kind: MockCallKind, opts: MockOptions): boolean {
  const which = opts.faults.stallSummaries;
  if (which === undefined || kind === "chat") return false;
  return which === "both" || (which === "prompt" ? kind === "prompt_summary" : kind === "reasoning_summary");
}

/** The request's `chat_template_kwargs`, which decide what a family's template makes the model write. */
function templateKwargs(body: Record<string, unknown>): Record<string, unknown> {
  return isRecord(body.chat_template_kwargs) ? body.chat_template_kwargs : {};
}

/** The frames of a streamed completion: role, content pieces (last one finishing), usage. */
function framesFor(call: MockCall, who: CompletionIdentity, options: MockOptions, scenarioHeader: string | undefined): Frame[] {
  let opts = options;
  if (opts.script) {
    const frames = scriptedFrames(who, opts.script);
    if (opts.usageChunk) frames.push({ data: usageChunk(who, usageFor(promptText(readMessages(call.body)), { content: "" })), delayMs: 0 });
    return frames;
  }
  const scenario = resolveScenario(scenarioHeader, call.model, opts.scenario);
  if (isLongReasoner(call.model)) opts = longReasoning(opts);
  const kwargs = templateKwargs(call.body);
  const pieces = scriptPieces(scenario, opts.reasoningText, opts.answerText, opts.chunkChars, kwargs);
  const frames: Frame[] = [];
  if (opts.roleChunk) frames.push({ data: chunk(who, { role: "assistant" }), delayMs: 0 });
  pieces.forEach((piece, i) => {
    const last = i === pieces.length - 1;
    const delayMs = piece.phase === "reasoning" ? opts.latency.reasoningChunkMs : opts.latency.answerChunkMs;
    frames.push({ data: chunk(who, deltaFields(piece), last ? "stop" : null), delayMs });
  });
  if (pieces.length === 0) frames.push({ data: chunk(who, { content: "" }, "stop"), delayMs: 0 });
  if (opts.usageChunk) {
    const usage = usageFor(promptText(readMessages(call.body)), scriptMessage(scenario, opts.reasoningText, opts.answerText, kwargs));
    frames.push({ data: usageChunk(who, usage), delayMs: 0 });
  }
  return frames;
}

/**
 * Handle one chat-completions call: record it, refuse or delay it as configured, then answer with
 * a summary, a completion or a scripted stream. Every wait listens to the call's abort signal.
 */
export async function handleChat(c: Context, deps: ChatDeps): Promise<Response> {
  let parsed: unknown;
  try {
    parsed = await c.req.json();
  } catch {
    parsed = undefined;
  }
  const body = isRecord(parsed) ? parsed : {};
  const stream = body.stream === true;
  const messages = readMessages(body);
  const kind = classifyCall(stream, messages);
  const model = typeof body.model === "string" ? body.model : "";
  const headers = Object.fromEntries(c.req.raw.headers.entries());
  const call = deps.log.record({ kind, stream, model, path: c.req.path, body, headers });
  let opts = deps.options();

  const signal = AbortSignal.any([c.req.raw.signal, deps.lifetime()]);
  signal.addEventListener("abort", () => deps.log.finish(call, "aborted"), { once: true });
  const gone = (): Response => c.json(errorBody(503, "mock upstream call was aborted", "aborted"), 503);

  const refused = refuse(isRecord(parsed), body, kind, deps, opts);
  if (refused === undefined && stalls(kind, opts)) {
    await untilAborted(signal);
    return gone();
  }
  if (!(await sleep(delayFor(kind, opts), signal))) return gone();
  if (refused !== undefined) {
    deps.log.setStatus(call, refused.status);
    deps.log.finish(call, "failed");
    return c.json(refused.body, refused.status as ContentfulStatusCode, refused.headers);
  }

  const who: CompletionIdentity = { id: `chatcmpl-mock-${call.id}`, created: Math.floor(Date.now() / 1000), model };
  if (kind !== "chat") {
    const text = userText(messages);
    const content = kind === "prompt_summary" ? summarizePrompt(text) : kind === "progress_summary" ? summarizeProgress(text) : summarizeReasoning(text);
    const message = { content };
    deps.log.setStatus(call, 200);
    deps.log.finish(call, "completed");
    return c.json(completion(who, message, usageFor(promptText(messages), message)));
  }

  // A queued script answers this call, and this call only.
  const queued = deps.nextScript();
  if (queued) opts = { ...opts, script: queued };
  const scenarioHeader = c.req.header("x-mock-scenario");
  if (!stream) {
    const scenario = resolveScenario(scenarioHeader, model, opts.scenario);
    const scripted = opts.script ? scriptedMessage(opts.script) : undefined;
    const message = scriptMessage(scenario, opts.reasoningText, opts.answerText, templateKwargs(body));
    deps.log.setStatus(call, 200);
    deps.log.finish(call, "completed");
    return c.json(completion(who, scripted ?? message, usageFor(promptText(messages), scripted ? { content: "" } : message)));
  }

  deps.log.setStatus(call, 200);
  if (opts.faults.hostile !== undefined) {
    return hostileResponse(opts.faults.hostile, "openai", "sse", {
      signal,
      onBytes: (n) => deps.log.countBytes(call, n),
      finish: (o) => deps.log.finish(call, o),
    });
  }
  const controller = new AbortController();
  const callSignal = AbortSignal.any([signal, controller.signal]);
  callSignal.addEventListener("abort", () => deps.log.finish(call, "aborted"), { once: true });
  const script = {
    frames: framesFor(call, who, opts, scenarioHeader),
    faults: opts.faults,
    finishErrorChunk: chunk(who, {}, "error"),
  };
  const responseBody = scriptedBody(script, {
    signal: callSignal,
    abort: () => controller.abort(),
    onChunk: () => deps.log.countChunk(call),
    finish: (outcome) => deps.log.finish(call, outcome),
    outgoing: outgoingOf(c),
  });
  return new Response(responseBody, { status: 200, headers: SSE_HEADERS });
}
