import { z } from "zod";

export const STRATEGIES = ["round_robin", "weighted", "least_busy", "latency", "cost", "priority"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

const strategy = z.enum(STRATEGIES, { message: `must be one of ${STRATEGIES.join(", ")}` });
const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).transform((v) => v.replace(/\/+$/, ""));

const provider = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, "must match [a-z0-9-]+"),
  base_url: httpUrl,
  path: z.string().startsWith("/", "must start with /").default("/chat/completions"),
  // The NAME of an environment variable: a literal key in a file ends up in git.
  api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be the name of an environment variable, not a key").optional(),
  tier: z.enum(["cloud", "local"]).default("cloud"),
  weight: z.number().positive().default(1),
  priority: z.number().int().default(100),
  max_concurrency: z.number().int().positive().optional(),
  cost: z.strictObject({ input_per_mtok: z.number().min(0), output_per_mtok: z.number().min(0) }).optional(),
  models: z.record(z.string(), z.string()).default({ "*": "*" }),
});

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
