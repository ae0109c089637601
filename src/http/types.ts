import type { ApiKey } from "./keys.js";

/** Hono variables every route can rely on. */
export type GatewayEnv = {
  Variables: {
    requestId: string;
    /** The request's model once the body was read (for logging a rejection). */
    model?: string;
    /** The request body, once the jsonBody() middleware has read and bounded it. */
    jsonBody?: Record<string, unknown>;
    /** The API key the request authenticated with, when keys are configured. */
    apiKey?: ApiKey;
  };
};
