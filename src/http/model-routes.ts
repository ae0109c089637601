import { Hono } from "hono";
import type { Provider } from "../providers/index.js";
import type { GatewayEnv } from "./types.js";

/**
 * `GET /v1/models`: the public model names this gateway knows — the allowlist, route names and
 * provider mappings ("*" left out) — in OpenAI's list shape, for clients and the playground.
 */
export function modelRoutes(deps: { allowModels: string[] | undefined; routes: { model: string }[]; providers: Provider[] }) {
  const names = new Set<string>(deps.allowModels ?? []);
  if (!deps.allowModels) {
    for (const r of deps.routes) if (r.model !== "*") names.add(r.model);
    for (const p of deps.providers) for (const m of Object.keys(p.models)) if (m !== "*") names.add(m);
  }
  const data = [...names].sort().map((id) => ({ id, object: "model", owned_by: "gateway" }));
  const app = new Hono<GatewayEnv>();
  app.get("/v1/models", (c) => c.json({ object: "list", data }));
  return app;
}
