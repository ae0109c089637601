import { Hono } from "hono";
import type { StagedRequest } from "../pipeline/index.js";
import { responsesEncoder, responsesObject, responsesRequestSchema, translateResponsesRequest, type ResponsesContext } from "../surfaces/index.js";
import type { ChatRouteDeps } from "./types.js";
import { describeIssues } from "./chat-schema.js";
import { ApiError } from "./errors.js";
import { checkAllowed, checkRawReasoning } from "./allow-models.js";
import { jsonBody, jsonBodyOf } from "./json-body.js";
import { serveRun } from "./serve-run.js";
import type { GatewayEnv } from "./types.js";
import { requestHeader } from "./request-header.js";

/** `POST /openai/v1/responses`: the Responses API over the same pipeline, a third encoder. */
export function responsesRoutes(deps: ChatRouteDeps) {
  const app = new Hono<GatewayEnv>();
  app.post("/openai/v1/responses", jsonBody({ maxBytes: deps.config.maxBodyBytes, ...deps.config.body }), async (c) => {
    const body = jsonBodyOf(c);
    const parsed = responsesRequestSchema.safeParse(body);
    if (!parsed.success) throw new ApiError(400, describeIssues(parsed.error), "invalid_request");
    const b = parsed.data;
    checkAllowed([b.model, b.summary_model], deps.config.allowModels);
    checkRawReasoning(b.include_reasoning, deps.config.allowRawReasoning);
    const t = translateResponsesRequest(b);
    const req: StagedRequest = {
      requestId: c.get("requestId"),
      model: b.model,
      messages: t.messages,
      stream: t.stream,
      summaryModel: b.summary_model ?? deps.config.summaryModelDefault ?? b.model,
      taskCategory: requestHeader(c, "x-task-category"),
      body,
      passthrough: t.passthrough,
      summaries: t.summaries,
      ...(c.get("apiKey")?.name !== undefined && { keyName: c.get("apiKey")?.name }),
      ...(c.get("clientRequestId") !== undefined && { clientRequestId: c.get("clientRequestId") }),
      ...(t.research && { research: t.research }),
      ...(b.include_reasoning === true && { includeReasoning: true }),
    };
    const ctx: ResponsesContext = { requestId: req.requestId, model: req.model, createdSeconds: Math.floor(deps.now() / 1000), body: b };
    return serveRun(c, req, deps, { encoder: () => responsesEncoder(ctx), json: (r) => responsesObject(ctx, r), resumable: true });
  });
  return app;
}
