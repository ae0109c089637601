import { Hono, type Context } from "hono";
import type { Config } from "../config/index.js";
import { EventLogUnavailableError, type ChatStreams } from "../fleet/index.js";
import type { StagedRequest } from "../pipeline/index.js";
import { aiSdkEncoder, aiSdkRequestSchema, MAX_UI_ID_CHARS, translateAiSdkRequest } from "../surfaces/index.js";
import { checkAllowed, checkRawReasoning } from "./allow-models.js";
import { describeIssues } from "./chat-schema.js";
import { ApiError } from "./errors.js";
import { jsonBody, jsonBodyOf } from "./json-body.js";
import { ownerOf } from "./resumable.js";
import { followLog, lastEventId, type ResumeRouteDeps } from "./resume-routes.js";
import { serveRun } from "./serve-run.js";
import type { ChatRouteDeps, GatewayEnv } from "./types.js";
import { requestHeader } from "./request-header.js";

/*
 * The Vercel AI SDK's chat transport, over the one pipeline:
 * - `POST /ai-sdk/v1/chat`: what useChat's DefaultChatTransport sends, answered with the UI
 *   message stream. It always streams (useChat never asks otherwise), so there is no JSON form;
 * - `GET /ai-sdk/v1/chat/{chatId}/stream`: useChat's `resume` — the chat's latest stream replayed
 *   from its start (the transport's default, `resumeStreamIsReplay`), then live; `204` when there
 *   is nothing to resume, as the SDK expects;
 * - `POST /ai-sdk/v1/chat/{chatId}/cancel`: what Stop should also call while streams are
 *   resumable (aborting the fetch then only starts the grace period, as on the other surfaces).
 * A chat is found by its id among the requests of the key that asks: never another key's.
 */

export interface AiSdkRouteDeps extends ChatRouteDeps {
  config: ChatRouteDeps["config"] & Pick<Config, "aiSdkDefaultModel" | "deadlineMs">;
  /** Resumable streams on: which request each chat streamed last, and how to follow its log. */
  chats?: { streams: ChatStreams; follow: ResumeRouteDeps };
}

/** The UI message stream's own header: the SDK's transport checks for it. */
const UI_STREAM_HEADER = { name: "x-vercel-ai-ui-message-stream", value: "v1" } as const;

export function aiSdkRoutes(deps: AiSdkRouteDeps) {
  const app = new Hono<GatewayEnv>();
  app.post("/ai-sdk/v1/chat", jsonBody({ maxBytes: deps.config.maxBodyBytes, ...deps.config.body }), (c) => chat(c, deps));

  app.get("/ai-sdk/v1/chat/:id/stream", async (c) => {
    const found = await latestStream(c, deps);
    if (!found || !deps.chats) return c.body(null, 204);
    c.header(UI_STREAM_HEADER.name, UI_STREAM_HEADER.value);
    // useChat replays from the start; a client that kept its place may say where it was.
    const after = lastEventId(requestHeader(c, "last-event-id"));
    return followLog(c, deps.chats.follow, found.requestId, found.meta, after, (e) => ({ data: JSON.stringify({ type: "error", errorText: e.message }) }));
  });

  app.post("/ai-sdk/v1/chat/:id/cancel", async (c) => {
    const found = await latestStream(c, deps);
    if (!found || !deps.chats)
      throw new ApiError(
        404,
        `no resumable stream for chat "${c.req.param("id")}" (none running, or streams are not resumable)`,
        "stream_not_found",
        "not_found_error",
      );
    await deps.chats.follow.settings.control.cancel(found.requestId);
    return c.json({ chat_id: c.req.param("id"), request_id: found.requestId, cancelled: true });
  });
  return app;
}

async function chat(c: Context<GatewayEnv>, deps: AiSdkRouteDeps): Promise<Response> {
  const body = jsonBodyOf(c);
  const parsed = aiSdkRequestSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(400, describeIssues(parsed.error), "invalid_request");
  const b = parsed.data;
  const t = translateAiSdkRequest(b, deps.config.aiSdkDefaultModel);
  c.set("model", t.model);
  checkAllowed([t.model, b.summary_model], deps.config.allowModels);
  checkRawReasoning(b.include_reasoning, deps.config.allowRawReasoning);
  const keyName = c.get("apiKey")?.name;
  const clientRequestId = c.get("clientRequestId");
  const req: StagedRequest = {
    requestId: c.get("requestId"),
    model: t.model,
    messages: t.messages,
    stream: true,
    summaryModel: b.summary_model ?? deps.config.summaryModelDefault ?? t.model,
    taskCategory: requestHeader(c, "x-task-category"),
    body,
    passthrough: t.passthrough,
    ...(keyName !== undefined && { keyName }),
    ...(clientRequestId !== undefined && { clientRequestId }),
    ...(t.research && { research: t.research }),
    ...(t.includeReasoning && { includeReasoning: true }),
  };
  const resume = deps.resume;
  // Remembered for as long as its log can exist: the longest run, then the grace.
  if (resume && deps.chats && t.chatId !== undefined)
    deps.chats.streams.set(ownerOf(keyName), t.chatId, req.requestId, deps.config.deadlineMs + resume.graceMs);
  // Set before the stream opens, so a response written straight to the socket carries it too.
  c.header(UI_STREAM_HEADER.name, UI_STREAM_HEADER.value);
  const ctx = { requestId: req.requestId, model: req.model, messageId: t.continuedMessageId ?? `msg-${req.requestId}` };
  return serveRun(c, req, deps, { encoder: () => aiSdkEncoder(ctx), resumable: true });
}

/** The caller's chat's latest request and its log, if it can still be read; undefined = nothing to resume. */
async function latestStream(c: Context<GatewayEnv>, deps: AiSdkRouteDeps) {
  const chatId = c.req.param("id") ?? "";
  if (chatId.length > MAX_UI_ID_CHARS) throw new ApiError(400, `chat id: must be at most ${MAX_UI_ID_CHARS} characters`, "invalid_request");
  const chats = deps.chats;
  if (!chats) return undefined;
  const owner = ownerOf(c.get("apiKey")?.name);
  try {
    const requestId = await chats.streams.get(owner, chatId);
    if (requestId === undefined) return undefined;
    const meta = await chats.follow.settings.log.meta(requestId);
    // Keyed by owner already; checked again so a log is never read by another key.
    return meta && meta.owner === owner ? { requestId, meta } : undefined;
  } catch (e) {
    if (e instanceof EventLogUnavailableError)
      throw new ApiError(503, `cannot look up chat "${chatId}" now: ${e.message}; retry shortly`, "resume_unavailable", "server_error", { "retry-after": "1" });
    throw e;
  }
}
