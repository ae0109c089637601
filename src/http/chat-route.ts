import { Hono, type Context } from "hono";
import { GATEWAY_EXTENSION_FIELDS, type Collected, type StagedRequest } from "../pipeline/index.js";
import { openAIChatCompletion, openAIChatEncoder, stagedCompletion, stagedEncoder, type StreamEncoder } from "../surfaces/index.js";
import { chatRequestSchema, describeIssues, type ChatRequestBody } from "./chat-schema.js";
import { ApiError } from "./errors.js";
import { jsonBody, jsonBodyOf } from "./json-body.js";
import { checkAllowed, checkRawReasoning } from "./allow-models.js";
import { serveRun } from "./serve-run.js";
import type { ChatRouteDeps, GatewayEnv } from "./types.js";
import { requestHeader } from "./request-header.js";

/** How one chat surface differs from another: its default for `stream`, its encoder, its JSON. */
interface ChatSurface {
  streamByDefault: boolean;
  /** Whether a dropped stream may be resumed (the staged dialect; OpenAI chat has no such idea). */
  resumable: boolean;
  encoder(req: StagedRequest, body: ChatRequestBody, createdSeconds: number): StreamEncoder;
  completion(req: StagedRequest, r: Collected, createdSeconds: number): unknown;
}

const STAGED: ChatSurface = {
  streamByDefault: true,
  resumable: true,
  encoder: (req) => stagedEncoder(req.requestId),
  completion: stagedCompletion,
};

const OPENAI: ChatSurface = {
  // OpenAI's own default: a client that says nothing gets one JSON object.
  streamByDefault: false,
  resumable: false,
  encoder: (req, body, createdSeconds) =>
    openAIChatEncoder({ requestId: req.requestId, model: req.model, createdSeconds, includeUsage: streamOptions(body).include_usage === true }),
  completion: openAIChatCompletion,
};

/**
 * `POST /v1/chat/completions` (the staged dialect) and `POST /openai/v1/chat/completions` (plain
 * OpenAI chunks): one validation, one pipeline, two encoders.
 */
export function chatRoutes(deps: ChatRouteDeps) {
  const app = new Hono<GatewayEnv>();
  // Content type, size, a body that never ends, JSON depth and size, field lengths: all at the edge.
  const limit = jsonBody({ maxBytes: deps.config.maxBodyBytes, ...deps.config.body });
  app.post("/v1/chat/completions", limit, (c) => handle(c, STAGED, deps));
  app.post("/openai/v1/chat/completions", limit, (c) => handle(c, OPENAI, deps));
  return app;
}

async function handle(c: Context<GatewayEnv>, surface: ChatSurface, deps: ChatRouteDeps): Promise<Response> {
  const body = jsonBodyOf(c);
  const parsed = parseChatBody(body, deps.config);
  const keyName = c.get("apiKey")?.name;
  const clientRequestId = c.get("clientRequestId");
  const req: StagedRequest = {
    ...toStagedRequest(parsed, body, c.get("requestId"), deps.config, requestHeader(c, "x-task-category"), surface.streamByDefault),
    ...(keyName !== undefined && { keyName }),
    ...(clientRequestId !== undefined && { clientRequestId }),
  };
  const created = Math.floor(deps.now() / 1000);
  return serveRun(c, req, deps, {
    encoder: () => surface.encoder(req, parsed, created),
    json: (r) => surface.completion(req, r, created),
    resumable: surface.resumable,
  });
}

function streamOptions(body: ChatRequestBody): Record<string, unknown> {
  const o = body.stream_options;
  return typeof o === "object" && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : {};
}

function parseChatBody(body: Record<string, unknown>, config: ChatRouteDeps["config"]): ChatRequestBody {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(400, describeIssues(parsed.error), "invalid_request");
  const b = parsed.data;
  checkAllowed([b.model, b.summary_model], config.allowModels);
  checkRawReasoning(b.include_reasoning, config.allowRawReasoning);
  return b;
}

function toStagedRequest(
  b: ChatRequestBody,
  body: unknown,
  requestId: string,
  config: ChatRouteDeps["config"],
  taskCategory: string | undefined,
  streamByDefault: boolean,
): StagedRequest {
  const passthrough: Record<string, unknown> = { ...b };
  for (const field of [...GATEWAY_EXTENSION_FIELDS, "model", "messages", "stream", "n"]) delete passthrough[field];
  return {
    requestId,
    model: b.model,
    messages: b.messages,
    stream: b.stream ?? streamByDefault,
    summaryModel: b.summary_model ?? config.summaryModelDefault ?? b.model,
    taskCategory,
    body,
    passthrough,
    ...(b.research && { research: b.research }),
    ...(b.include_reasoning === true && { includeReasoning: true }),
  };
}
