import type { Config } from "../config/index.js";
import type { PipelineDeps } from "../pipeline/index.js";
import type { ResumeSettings } from "./resumable.js";
import type { ApiKey } from "./keys.js";

/** Hono variables every route can rely on. */
export type GatewayEnv = {
  Variables: {
    /** The gateway's own id for this request (never the client's). */
    requestId: string;
    /** The client's own correlation id, when it sent a plain one. */
    clientRequestId?: string;
    /** The request's model once the body was read (for logging a rejection). */
    model?: string;
    /** The request body, once the jsonBody() middleware has read and bounded it. */
    jsonBody?: Record<string, unknown>;
    /** The API key the request authenticated with, when keys are configured. */
    apiKey?: ApiKey;
  };
};

/** What the chat surfaces need: the pipeline, the edge's settings, and resumable streams when on. */
export interface ChatRouteDeps {
  config: Pick<Config, "allowModels" | "allowRawReasoning" | "summaryModelDefault" | "keepaliveMs" | "maxBodyBytes" | "body" | "clientStallMs">;
  pipeline: PipelineDeps;
  now: () => number;
  /** RESUME_GRACE_SECONDS > 0: staged and Responses streams are resumable. */
  resume?: ResumeSettings;
}
