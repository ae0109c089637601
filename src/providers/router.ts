import type { CapabilityMode } from "../config/index.js";
import type { NativeOptions, UpstreamTarget } from "../upstream/index.js";
import type { Classification, TaskCategory } from "./classifier.js";
import type { HealthSettings, ProviderSpec, RouteSpec, StrategyName, TaskRoutingSettings } from "./schema.js";
import { createMemoryRoutingState, type FailureInfo, type ProviderSnapshot, type RoutingState, type StateChange } from "./state.js";
import { createSchemaGate, type JsonChange, type JsonStanding } from "./schema-gate.js";
import { orderCandidates, type CandidateView } from "./strategies.js";

export interface Provider {
  id: string;
  tier: "cloud" | "local";
  weight: number;
  priority: number;
  maxConcurrency: number | undefined;
  cost: { input_per_mtok: number; output_per_mtok: number } | undefined;
  models: Record<string, string>;
  target: UpstreamTarget;
  /** The providers file's `reasoning_formats`: how this provider streams each model's reasoning. */
  reasoningFormats?: readonly { pattern: string; mode: CapabilityMode }[];
}

export interface Candidate {
  provider: Provider;
  /** The model id this provider knows the public model by. */
  upstreamModel: string;
}

export interface RoutePlan {
  strategy: StrategyName;
  candidates: Candidate[];
  reason: string;
  /** When no candidate may be tried now, how long until one may (for Retry-After). */
  retryAfterMs: number | undefined;
  /** The task's category when it was classified (`safety_critical` changes how its answer is checked). */
  category?: TaskCategory;
}

export interface PlanOptions {
  kind: "chat" | "summary";
  classification?: Classification | undefined;
  /** The request asks for a checked JSON answer (`response_format`): cloud-only mode applies. */
  json?: boolean;
}

export interface RouterSettings {
  providers: Provider[];
  routes: RouteSpec[];
  summaryRoute: { strategy: StrategyName; providers: string[] } | undefined;
  health: HealthSettings;
  taskRouting: TaskRoutingSettings;
  /** One provider from UPSTREAM_*: never refuse it for its health, there is nowhere else to go. */
  single: boolean;
}

/** Picks, orders and tracks providers. The pipeline asks it where to go and tells it how it went. */
export function createRouter(
  s: RouterSettings,
  deps: { now: () => number; random: () => number; onChange?: (c: StateChange) => void; state?: RoutingState; onJsonChange?: (c: JsonChange) => void },
) {
  const byId = new Map(s.providers.map((p) => [p.id, p]));
  const state =
    deps.state ??
    createMemoryRoutingState(
      s.providers.map((p) => p.id),
      s.health,
      deps.now,
      deps.onChange,
    );
  // Kept by each replica for itself (not shared through Redis): see docs/providers.md, cloud-only mode.
  const gate = createSchemaGate(s.health, deps.now, deps.onJsonChange);
  // Run-time strategy switches live in the routing state (shared by replicas), keyed by route
  // index as a string; the summary route is "-1".
  const overrides = { get: (i: number) => state.strategy(String(i)), set: (i: number, name: StrategyName) => state.setStrategy(String(i), name) };

  const serves = (p: Provider, model: string): string | undefined => {
    const mapped = p.models[model];
    if (mapped !== undefined) return mapped;
    const wildcard = p.models["*"];
    return wildcard === undefined ? undefined : wildcard === "*" ? model : wildcard;
  };
  const view = (c: Candidate): CandidateView & Candidate => {
    const snap = state.snapshot(c.provider.id);
    const cost = c.provider.cost ? c.provider.cost.input_per_mtok + c.provider.cost.output_per_mtok : undefined;
    return {
      ...c,
      id: c.provider.id,
      weight: c.provider.weight,
      priority: c.provider.priority,
      inFlight: snap.inFlight,
      latencyEwmaMs: snap.latencyEwmaMs,
      cost,
    };
  };
  const available = (c: Candidate) => s.single || ["active", "half_open"].includes(state.snapshot(c.provider.id).state);

  /** `json`: the request asks for a checked JSON answer (`response_format`), so the schema gate applies. */
  function plan(model: string, opts: PlanOptions): RoutePlan {
    const category = opts.classification?.category;
    const plan = choose(model, opts);
    return category === undefined ? plan : { ...plan, category };
  }

  function choose(model: string, opts: PlanOptions): RoutePlan {
    // Decided once: findIndex also returns -1 for "no route", which must not mean the summary route.
    const useSummaryRoute = opts.kind === "summary" && s.summaryRoute !== undefined;
    const routeIndex = useSummaryRoute ? -1 : s.routes.findIndex((r) => r.model === model || r.model === "*");
    const route = useSummaryRoute ? s.summaryRoute : s.routes[routeIndex];
    if (!route) return { strategy: "priority", candidates: [], reason: `no route matches model "${model}"`, retryAfterMs: undefined };
    const strategy = overrides.get(routeIndex) ?? route.strategy;
    const all: Candidate[] = route.providers.flatMap((id) => {
      const provider = byId.get(id) as Provider;
      // A summary route may name providers that do not list the summary model: send it as is.
      const upstreamModel = serves(provider, model) ?? (useSummaryRoute ? model : undefined);
      return upstreamModel === undefined ? [] : [{ provider, upstreamModel }];
    });
    if (all.length === 0) return { strategy, candidates: [], reason: `no provider on the route serves "${model}"`, retryAfterMs: undefined };
    // Safety-critical work never goes to a local provider, not even as a fallback.
    const safety = opts.classification?.category === "safety_critical";
    const eligible = safety ? all.filter((c) => c.provider.tier === "cloud") : all;
    if (eligible.length === 0) {
      return {
        strategy,
        candidates: [],
        reason: `safety_critical work goes to cloud providers only, and no cloud provider on the route serves "${model}"`,
        retryAfterMs: undefined,
      };
    }
    const ready = eligible.filter(available);
    if (ready.length === 0) {
      const waits = eligible.map((c) => state.snapshot(c.provider.id).cooldownRemainingMs).filter((ms) => ms > 0);
      const reason = safety
        ? "safety_critical work goes to cloud providers only, and every one is cooling down or unhealthy"
        : "every provider is cooling down or unhealthy";
      return { strategy, candidates: [], reason, retryAfterMs: waits.length ? Math.min(...waits) : undefined };
    }
    const { usable, note } = opts.json ? jsonUsable(ready) : { usable: ready, note: "" };
    // One cursor step per plan, kept apart for summaries, so round-robin alternates per request.
    const cursor = strategy === "round_robin" ? state.nextCursor(`${opts.kind}:${routeIndex}`) : 0;
    const order = (list: Candidate[]) => orderCandidates(strategy, list.map(view), deps.random, cursor);
    const cloud = usable.filter((c) => c.provider.tier === "cloud");
    const local = usable.filter((c) => c.provider.tier === "local");
    let ordered: Candidate[];
    let reason: string;
    if (safety && opts.classification) {
      ordered = order(cloud);
      reason = `safety_critical (${opts.classification.reason}) → cloud only`;
    } else if (local.length > 0 && opts.classification?.category === "routine") {
      ordered = [...order(local), ...order(cloud)];
      reason = `routine (${opts.classification.reason}) → local first`;
    } else {
      ordered = [...order(cloud), ...order(local)];
      const hadCloud = all.some((c) => c.provider.tier === "cloud");
      reason =
        cloud.length === 0 && hadCloud
          ? "every cloud provider unavailable → local fallback"
          : opts.classification
            ? `${opts.classification.category} (${opts.classification.reason})`
            : strategy;
    }
    return {
      strategy,
      candidates: ordered.map(({ provider, upstreamModel }) => ({ provider, upstreamModel })),
      reason: reason + note,
      retryAfterMs: undefined,
    };
  }

  /**
   * Cloud-only mode: a JSON request leaves out the providers whose answers keep failing their
   * schema — unless nobody else is left, when a doubtful answer (still checked) beats none.
   */
  function jsonUsable(ready: Candidate[]): { usable: Candidate[]; note: string } {
    const admitted = ready.filter((c) => gate.admits(c.provider.id));
    const skipped = ready.filter((c) => !admitted.includes(c)).map((c) => c.provider.id);
    if (skipped.length === 0) return { usable: ready, note: "" };
    if (admitted.length === 0)
      return { usable: ready, note: `; kept ${skipped.join(", ")} as the last resort although its JSON answers keep failing their schema` };
    return { usable: admitted, note: `; JSON skips ${skipped.join(", ")} (its answers keep failing their schema)` };
  }

  return {
    plan,
    /**
     * Claim a slot; false when the provider filled up or its half-open probe is taken meanwhile.
     * A promise only when a shared state must ask the fleet (the half-open probe claim): await it.
     */
    acquire(c: Candidate): boolean | Promise<boolean> {
      const decide = (ok: boolean): boolean => {
        // The only provider is never refused for its health: there is nowhere else to go.
        if (!ok && s.single) state.forceAcquire(c.provider.id);
        return ok || s.single;
      };
      const ok = state.tryAcquire(c.provider.id, c.provider.maxConcurrency);
      return typeof ok === "boolean" ? decide(ok) : ok.then(decide);
    },
    release: (c: Candidate) => state.release(c.provider.id),
    success: (c: Candidate, ttfbMs: number | undefined) => state.success(c.provider.id, ttfbMs),
    failure: (c: Candidate, info: FailureInfo) => state.failure(c.provider.id, info),
    /** A provider's state now (open, cooldown, …). */
    stateOf: (c: Candidate) => state.snapshot(c.provider.id).state,
    probed: (id: string, ok: boolean) => state.probed(id, ok),
    /** A schema check of one of this provider's answers: the signal for cloud-only mode. */
    schemaChecked: (id: string, valid: boolean) => gate.checked(id, valid),
    /** Does any route have local providers (so classifying the task matters)? */
    usesTaskRouting: s.providers.some((p) => p.tier === "local"),
    taskRouting: s.taskRouting,
    health: s.health,
    providers: () => s.providers,
    snapshots: (): (ProviderSnapshot & { tier: string; base_url: string; kind: string; json: JsonStanding })[] =>
      s.providers.map((p) => ({
        ...state.snapshot(p.id),
        tier: p.tier,
        base_url: p.target.baseUrl,
        kind: p.target.kind ?? "openai",
        json: gate.standing(p.id),
      })),
    routes: () => [
      ...s.routes.map((r, i) => ({ model: r.model, strategy: overrides.get(i) ?? r.strategy, providers: r.providers })),
      ...(s.summaryRoute ? [{ model: "(summaries)", strategy: overrides.get(-1) ?? s.summaryRoute.strategy, providers: s.summaryRoute.providers }] : []),
    ],
    /** Switch every route (or the routes for one model) to another strategy, at run time. */
    setStrategy(name: StrategyName, model?: string): number {
      let n = 0;
      s.routes.forEach((r, i) => {
        if (model !== undefined && r.model !== model) return;
        overrides.set(i, name);
        n++;
      });
      if (s.summaryRoute && (model === undefined || model === "(summaries)")) {
        overrides.set(-1, name);
        n++;
      }
      return n;
    },
    reset(): void {
      state.reset();
      gate.reset();
    },
  };
}

export type Router = ReturnType<typeof createRouter>;

/** The router for one upstream from UPSTREAM_*, so single-upstream users see no change. */
export function singleProviderSettings(target: UpstreamTarget, health: HealthSettings, taskRouting: TaskRoutingSettings): RouterSettings {
  return {
    providers: [{ id: "upstream", tier: "cloud", weight: 1, priority: 1, maxConcurrency: undefined, cost: undefined, models: { "*": "*" }, target }],
    routes: [{ model: "*", strategy: "priority", providers: ["upstream"] }],
    summaryRoute: undefined,
    health,
    taskRouting,
    single: true,
  };
}

/** Providers from a validated file; keys are read from the environment variable each one names. */
export function fileSettings(
  file: {
    providers: ProviderSpec[];
    routes: RouteSpec[];
    summary_route?: { strategy: StrategyName; providers: string[] } | undefined;
    health: HealthSettings;
    task_routing: TaskRoutingSettings;
  },
  env: Record<string, string | undefined>,
): RouterSettings {
  return {
    providers: file.providers.map((p) => ({
      id: p.id,
      tier: p.tier,
      weight: p.weight,
      priority: p.priority,
      maxConcurrency: p.max_concurrency,
      cost: p.cost,
      models: p.models,
      ...(p.reasoning_formats && { reasoningFormats: Object.entries(p.reasoning_formats).map(([pattern, mode]) => ({ pattern, mode })) }),
      target: {
        baseUrl: p.base_url,
        path: p.path,
        apiKey: p.api_key_env ? env[p.api_key_env] : undefined,
        kind: p.kind,
        ...(p.kind !== "openai" && { native: nativeOptions(p) }),
      },
    })),
    routes: file.routes,
    summaryRoute: file.summary_route,
    health: file.health,
    taskRouting: file.task_routing,
    single: false,
  };
}

/** The native-API settings a provider declared, without the ones it left out. */
function nativeOptions(p: ProviderSpec): NativeOptions {
  const o: NativeOptions = {};
  if (p.thinking_budget !== undefined) o.thinkingBudget = p.thinking_budget;
  if (p.anthropic_version !== undefined) o.anthropicVersion = p.anthropic_version;
  if (p.default_max_tokens !== undefined) o.defaultMaxTokens = p.default_max_tokens;
  if (p.think !== undefined) o.think = p.think;
  return o;
}
