/** Hono variables every route can rely on. */
export type GatewayEnv = {
  Variables: {
    requestId: string;
    /** The request's model once the body was read (for logging a rejection). */
    model?: string;
  };
};
