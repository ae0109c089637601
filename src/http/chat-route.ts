import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Config } from "../config/index.js";
import { createCollector, runStaged, GATEWAY_EXTENSION_FIELDS, type PipelineDeps, type StagedRequest } from "../pipeline/index.js";
import { chatRequestSchema, describeIssues, type ChatRequestBody } from "./chat-schema.js";
import { ApiError } from "./errors.js";
import { stagedResponse } from "./staged-response.js";
import { toCompletion } from "./completion.js";
import type { GatewayEnv } from "./types.js";

export interface ChatRouteDeps {
  config: Pick<Config, "allowModels" | "summaryModelDefault" | "keepaliveMs" | "maxBodyBytes">;
  pipeline: PipelineDeps;
  now: () => number;
}

/** `POST /v1/chat/completions`: validate at the edge, then hand over to the pipeline. */
export function chatRoutes(deps: ChatRouteDeps) {
  const app = new Hono<GatewayEnv>();
  app.post(
    "/v1/chat/completions",
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: () => {
        throw new ApiError(413, `request body is larger than MAX_BODY_BYTES (${deps.config.maxBodyBytes} bytes)`, "body_too_large");
      },
    }),
    async (c) => {
      const body = await readBody(c.req.raw);
      if (isRecordWithModel(body)) c.set("model", body.model);
      const keyName = c.get("apiKey")?.name;
      const req = { ...toStagedRequest(body, c.get("requestId"), deps.config, c.req.header("x-task-category")), ...(keyName !== undefined && { keyName }) };
      const signal = c.req.raw.signal;
      if (req.stream) {
        return stagedResponse({
          requestId: req.requestId,
          keepaliveMs: deps.config.keepaliveMs,
          clientSignal: signal,
          run: (sink, s) => runStaged(req, deps.pipeline, sink, s),
          onBug: (e) => deps.pipeline.logger.error({ err: e, request_id: req.requestId }, "pipeline bug"),
        });
      }
      const { sink, result } = createCollector();
      await runStaged(req, deps.pipeline, sink, signal);
      if (result.provider) c.header("x-gateway-provider", result.provider);
      if (result.failure) {
        const f = result.failure;
        const headers: Record<string, string> = result.provider ? { "x-gateway-provider": result.provider } : {};
        if (f.kind === "no_provider" && f.retryAfterMs !== undefined) headers["retry-after"] = String(Math.ceil(f.retryAfterMs / 1000));
        throw new ApiError(f.gatewayStatus, f.message, f.code, f.gatewayStatus >= 500 ? "upstream_error" : f.type, headers);
      }
      return c.json(toCompletion(req, result, Math.floor(deps.now() / 1000)));
    },
  );
  return app;
}

function isRecordWithModel(v: unknown): v is { model: string } {
  return typeof v === "object" && v !== null && "model" in v && typeof v.model === "string";
}

async function readBody(raw: Request): Promise<unknown> {
  const text = await raw.text();
  if (text.trim() === "") throw new ApiError(400, "request body is empty; expected a JSON object", "invalid_json");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, "request body is not valid JSON", "invalid_json");
  }
}

function toStagedRequest(body: unknown, requestId: string, config: ChatRouteDeps["config"], taskCategory: string | undefined): StagedRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "request body must be a JSON object", "invalid_request");
  }
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(400, describeIssues(parsed.error), "invalid_request");
  const b: ChatRequestBody = parsed.data;
  for (const model of [b.model, b.summary_model]) {
    if (model !== undefined && config.allowModels && !config.allowModels.includes(model)) {
      throw new ApiError(403, `model "${model}" is not allowed on this gateway (ALLOW_MODELS)`, "model_not_allowed", "permission_error");
    }
  }
  const passthrough: Record<string, unknown> = { ...b };
  for (const field of [...GATEWAY_EXTENSION_FIELDS, "model", "messages", "stream"]) delete passthrough[field];
  return {
    requestId,
    model: b.model,
    messages: b.messages,
    stream: b.stream,
    summaryModel: b.summary_model ?? config.summaryModelDefault ?? b.model,
    taskCategory,
    body,
    passthrough,
  };
}
