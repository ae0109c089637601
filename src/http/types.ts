/** Hono variables every route can rely on. */
export type GatewayEnv = { Variables: { requestId: string } };
