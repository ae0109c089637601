import { Hono } from "hono";
import type { Provider } from "../providers/index.js";
import type { GatewayEnv } from "./types.js";

const CACHE_MS = 60_000;

export interface ModelRouteDeps {
  allowModels: string[] | undefined;
  routes: { model: string }[];
  providers: Provider[];
  /** The single upstream's own model list (UPSTREAM_* mode); none with a providers file. */
  upstreamModels?: () => Promise<string[]>;
  now: () => number;
}

/**
 * `GET /v1/models`: the public model names this gateway knows — the allowlist, or the route names,
 * provider mappings ("*" left out) and, for a single upstream, its own list (cached for a minute) —
 * in OpenAI's list shape, for clients and the playground.
 */
export function modelRoutes(deps: ModelRouteDeps) {
  const known = new Set<string>(deps.allowModels ?? []);
  if (!deps.allowModels) {
    for (const r of deps.routes) if (r.model !== "*") known.add(r.model);
    for (const p of deps.providers) for (const m of Object.keys(p.models)) if (m !== "*") known.add(m);
  }
  let cached: { at: number; names: string[] } | undefined;
  const upstream = async (): Promise<string[]> => {
    if (deps.allowModels || !deps.upstreamModels) return [];
    if (cached && deps.now() - cached.at < CACHE_MS) return cached.names;
    const names = await deps.upstreamModels().catch(() => []);
    cached = { at: deps.now(), names };
    return names;
  };
  const app = new Hono<GatewayEnv>();
  app.get("/v1/models", async (c) => {
    const names = [...new Set([...known, ...(await upstream())])].sort();
    return c.json({ object: "list", data: names.map((id) => ({ id, object: "model", owned_by: "gateway" })) });
  });
  return app;
}
