import { Hono } from "hono";
import type { Config } from "../config/index.js";
import { createCollector, runStaged, GATEWAY_EXTENSION_FIELDS, type PipelineDeps, type StagedRequest } from "../pipeline/index.js";
import { chatRequestSchema, describeIssues, type ChatRequestBody } from "./chat-schema.js";
import { ApiError } from "./errors.js";
import { jsonBody, jsonBodyOf } from "./json-body.js";
import { stagedResponse } from "./staged-response.js";
import { toCompletion } from "./completion.js";
import type { GatewayEnv } from "./types.js";

export interface ChatRouteDeps {
  config: Pick<Config, "allowModels" | "summaryModelDefault" | "keepaliveMs" | "maxBodyBytes" | "body">;
  pipeline: PipelineDeps;
  now: () => number;
}

/** `POST /v1/chat/completions`: validate at the edge, then hand over to the pipeline. */
export function chatRoutes(deps: ChatRouteDeps) {
  const app = new Hono<GatewayEnv>();
  app.post(
    "/v1/chat/completions",
    jsonBody({ maxBytes: deps.config.maxBodyBytes, ...deps.config.body }),
    async (c) => {
      const body = jsonBodyOf(c);
      const req = toStagedRequest(body, c.get("requestId"), deps.config, c.req.header("x-task-category"));
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

function toStagedRequest(body: Record<string, unknown>, requestId: string, config: ChatRouteDeps["config"], taskCategory: string | undefined): StagedRequest {
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
