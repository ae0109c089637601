import type { Hono } from "hono";
import { handleNative, type NativeDeps } from "./handler.js";
import { anthropicApi } from "./anthropic.js";
import { GEMINI_PATH, geminiApi } from "./gemini.js";
import { ollamaApi } from "./ollama.js";

/** One model per scenario, named the way each API names its models. */
const MODELS = {
  anthropic: ["claude-mock", "claude-mock-plain", "claude-mock-tools"],
  gemini: ["gemini-mock", "gemini-mock-plain", "gemini-mock-tools"],
  ollama: ["qwen-mock:latest", "qwen-mock-plain:latest", "qwen-mock-tools:latest"],
};

/**
 * The native APIs beside the OpenAI-compatible one, on the same server: Anthropic at
 * `/v1/messages` (+ `/v1/models` when `anthropic-version` is sent), Gemini under `/v1beta`,
 * Ollama at `/api/chat`, `/api/tags`, `/api/version`. Registered before the OpenAI catch-alls.
 */
export function registerNativeRoutes(app: Hono, deps: NativeDeps): void {
  app.post("/v1/messages", (c) => handleNative(c, anthropicApi, deps));
  app.post("/api/chat", (c) => handleNative(c, ollamaApi, deps));
  app.post("/v1beta/*", (c, next) => (GEMINI_PATH.test(c.req.path) ? handleNative(c, geminiApi, deps) : next()));

  app.get("/v1/models", (c, next) => {
    if (!c.req.header("anthropic-version")) return next(); // an OpenAI client listing models
    if (!c.req.header("x-api-key")) return c.json(anthropicApi.error(401, "x-api-key header is required", undefined).body, 401);
    const data = MODELS.anthropic.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" }));
    return c.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  });
  app.get("/v1beta/models", (c) => {
    if (!c.req.header("x-goog-api-key") && !c.req.query("key"))
      return c.json(geminiApi.error(403, "Method doesn't allow unregistered callers.", undefined).body, 403);
    return c.json({
      models: MODELS.gemini.map((id) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ["generateContent", "streamGenerateContent"] })),
    });
  });
  app.get("/api/tags", (c) =>
    c.json({
      models: MODELS.ollama.map((name) => ({
        name,
        model: name,
        modified_at: "2025-01-01T00:00:00Z",
        size: 1,
        digest: "0".repeat(64),
        details: { format: "gguf", family: "qwen3" },
      })),
    }),
  );
  app.get("/api/version", (c) => c.json({ version: "0.12.0-mock" }));
}
