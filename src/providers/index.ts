export {
  createRouter,
  singleProviderSettings,
  fileSettings,
  type Router,
  type Candidate,
  type PlanOptions,
  type Provider,
  type RoutePlan,
  type RouterSettings,
} from "./router.js";
export { createSchemaGate, type JsonChange, type JsonStanding, type SchemaGate } from "./schema-gate.js";
export { loadProvidersFile, parseProvidersFile, ProvidersFileError } from "./file.js";
export { providersFileSchema, STRATEGIES, type StrategyName, type ProvidersFile, type HealthSettings, type TaskRoutingSettings } from "./schema.js";
export { classifyTask, explicitCategory, TASK_CATEGORIES, type Classification, type TaskCategory } from "./classifier.js";
export { orderCandidates, type CandidateView } from "./strategies.js";
export {
  createMemoryRoutingState,
  type MemoryRoutingState,
  type RoutingState,
  type ProviderState,
  type ProviderSnapshot,
  type SharedProviderView,
  type StateChange,
  type FailureInfo,
  CREDENTIALS_REFUSED,
} from "./state.js";
export { startHealthProbes } from "./probes.js";
