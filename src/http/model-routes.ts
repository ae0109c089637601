import { Hono } from "hono";
import type { Provider } from "../providers/index.js";
import { ApiError } from "./errors.js";
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
  const list = async () => {
    const names = [...new Set([...known, ...(await upstream())])].sort();
    // `created` is part of OpenAI's model object; the gateway does not know it, so 0.
    return { object: "list", data: names.map((id) => ({ id, object: "model", created: 0, owned_by: "gateway" })) };
  };
  app.get("/v1/models", async (c) => c.json(await list()));
  app.get("/openai/v1/models", async (c) => c.json(await list()));
  app.get("/openai/v1/models/:id", async (c) => {
    const id = c.req.param("id");
    const model = (await list()).data.find((m) => m.id === id);
    if (!model) throw new ApiError(404, `model "${id}" is not known to this gateway`, "model_not_found", "not_found_error");
    return c.json(model);
  });
  return app;
}
