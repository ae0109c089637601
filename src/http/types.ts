import type { ApiKey } from "./keys.js";

/** Hono variables every route can rely on. */
export type GatewayEnv = {
  Variables: {
    requestId: string;
    /** The request's model once the body was read (for logging a rejection). */
    model?: string;
    /** The API key the request authenticated with, when keys are configured. */
    apiKey?: ApiKey;
  };
};
