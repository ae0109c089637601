import type { Hono } from "hono";
import { parseConfigPatch } from "./config-schema.js";
import { errorBody } from "./openai.js";
import { MOCK_SCENARIOS } from "./types.js";
import type { MockUpstream } from "./types.js";

/**
 * The OpenAI model list: one model per scenario, so a client can pick a scenario by name, and the
 * long reasoner `make demo` uses (any `mock-long-…` name works; this one is offered in pickers).
 */
export function modelList(): Record<string, unknown> {
  const ids = [...MOCK_SCENARIOS.map((s) => `mock-${s}`), "mock-long-think"];
  return { object: "list", data: ids.map((id) => ({ id, object: "model", created: 0, owned_by: "mock-upstream" })) };
}

/**
 * Routes for humans and scripts driving a running mock: inspect calls, change options, reset.
 * The JSON for `fail.times: Infinity` is `null` (JSON cannot spell Infinity).
 */
export function registerControlRoutes(app: Hono, mock: () => MockUpstream): void {
  app.get("/_mock/calls", (c) => c.json({ calls: mock().calls, management_calls: mock().managementCalls, options: mock().options }));

  app.post("/_mock/config", async (c) => {
    let input: unknown;
    try {
      input = await c.req.json();
    } catch {
      return c.json(errorBody(400, "Body must be JSON", "invalid_json"), 400);
    }
    const result = parseConfigPatch(input);
    if (!result.ok) return c.json(errorBody(400, result.problems.join("; "), "invalid_config"), 400);
    mock().configure(result.patch);
    return c.json({ options: mock().options });
  });

  app.post("/_mock/reset", (c) => {
    mock().reset();
    return c.json({ ok: true });
  });
}
