import { z } from "zod";
import { CAPABILITY_MODES } from "../config/index.js";
import { DEFAULT_PATHS, PROVIDER_KINDS } from "../upstream/index.js";

export const STRATEGIES = ["round_robin", "weighted", "least_busy", "latency", "cost", "priority"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

const strategy = z.enum(STRATEGIES, { message: `must be one of ${STRATEGIES.join(", ")}` });
const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).transform((v) => v.replace(/\/+$/, ""));

const provider = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]+$/, "must match [a-z0-9-]+"),
    /** Which API it speaks: OpenAI-compatible (default) or a native one. */
    kind: z.enum(PROVIDER_KINDS, { message: `must be one of ${PROVIDER_KINDS.join(", ")}` }).default("openai"),
    base_url: httpUrl,
    // Default per kind (DEFAULT_PATHS), filled in by the transform below once the kind is known.
    path: z.string().startsWith("/", "must start with /").optional(),
    // The NAME of an environment variable: a literal key in a file ends up in git.
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be the name of an environment variable, not a key")
      .optional(),
    tier: z.enum(["cloud", "local"]).default("cloud"),
    weight: z.number().positive().default(1),
    priority: z.number().int().default(100),
    max_concurrency: z.number().int().positive().optional(),
    cost: z.strictObject({ input_per_mtok: z.number().min(0), output_per_mtok: z.number().min(0) }).optional(),
    models: z.record(z.string(), z.string()).default({ "*": "*" }),
    // How this provider streams each model's reasoning: model glob (public or provider name) -> format.
    reasoning_formats: z.record(z.string().min(1), z.enum(CAPABILITY_MODES, { message: `must be one of ${CAPABILITY_MODES.join(", ")}` })).optional(),
    // Native-API settings; each is checked against the provider's kind in the file's superRefine.
    thinking_budget: z.number().int("must be an integer").min(-1).optional(),
    anthropic_version: z.string().min(1).optional(),
    default_max_tokens: z.number().int().positive().optional(),
    think: z.union([z.boolean(), z.enum(["low", "medium", "high"])], { message: "must be true, false, low, medium or high" }).optional(),
  })
  // The chat path defaults by kind: /chat/completions, /v1/messages, /v1beta or /api/chat.
  .transform(({ path, ...p }) => ({ ...p, path: path ?? DEFAULT_PATHS[p.kind] }));

/** Which kinds each native setting means something for; elsewhere it is a mistake worth reporting. */
const NATIVE_SETTINGS = {
  thinking_budget: ["anthropic", "gemini"],
  anthropic_version: ["anthropic"],
  default_max_tokens: ["anthropic"],
  think: ["ollama"],
} as const;

const route = z.strictObject({
  model: z.string().min(1),
  strategy: strategy.default("priority"),
  providers: z.array(z.string()).min(1, "must name at least one provider"),
});

const health = z.strictObject({
  cooldown_seconds: z.number().positive().default(60),
  failure_rate: z.number().gt(0).max(1).default(0.5),
  window_seconds: z.number().positive().default(60),
  min_requests: z.number().int().positive().default(5),
  consecutive_failures: z.number().int().positive().default(3),
  max_open_seconds: z.number().positive().default(300),
  probe_interval_seconds: z.number().min(0).default(0),
  // Cloud-only mode for JSON: a provider whose answers fail their response_format schema more often
  // than this (with at least schema_min_requests checks in schema_window_seconds) sits JSON requests out.
  schema_failure_rate: z.number().gt(0).max(1).default(0.5),
  schema_window_seconds: z.number().positive().default(300),
  schema_min_requests: z.number().int().positive().default(5),
});

/** Our extension to SPEC §6: when routine work goes local first. */
const taskRouting = z.strictObject({
  local_context_tokens: z.number().int().positive().default(8192),
  long_prompt_chars: z.number().int().positive().default(4000),
});

export const providersFileSchema = z
  .strictObject({
    providers: z.array(provider).min(1, "must declare at least one provider"),
    routes: z.array(route).min(1, "must declare at least one route"),
    summary_route: z.strictObject({ strategy: strategy.default("priority"), providers: z.array(z.string()).min(1) }).optional(),
    health: health.default(health.parse({})),
    task_routing: taskRouting.default(taskRouting.parse({})),
  })
  .superRefine((file, ctx) => {
    const ids = new Set<string>();
    file.providers.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: "custom", path: ["providers", i, "id"], message: `duplicate provider id "${p.id}"` });
      ids.add(p.id);
      for (const [key, kinds] of Object.entries(NATIVE_SETTINGS)) {
        if (p[key as keyof typeof NATIVE_SETTINGS] !== undefined && !(kinds as readonly string[]).includes(p.kind)) {
          ctx.addIssue({ code: "custom", path: ["providers", i, key], message: `only applies to kind ${kinds.join(" or ")} (this provider is ${p.kind})` });
        }
      }
      // Anthropic refuses a thinking budget under 1024 tokens; better to say so at start-up.
      if (p.kind === "anthropic" && p.thinking_budget !== undefined && p.thinking_budget < 1024) {
        ctx.addIssue({ code: "custom", path: ["providers", i, "thinking_budget"], message: "must be at least 1024 for anthropic" });
      }
    });
    const check = (list: string[], path: (string | number)[]) =>
      list.forEach((id, j) => {
        if (!ids.has(id)) ctx.addIssue({ code: "custom", path: [...path, j], message: `unknown provider "${id}"` });
      });
    file.routes.forEach((r, i) => check(r.providers, ["routes", i, "providers"]));
    if (file.summary_route) check(file.summary_route.providers, ["summary_route", "providers"]);
  });

export type ProvidersFile = z.infer<typeof providersFileSchema>;
export type ProviderSpec = ProvidersFile["providers"][number];

export type RouteSpec = ProvidersFile["routes"][number];
export type HealthSettings = ProvidersFile["health"];
export type TaskRoutingSettings = ProvidersFile["task_routing"];
