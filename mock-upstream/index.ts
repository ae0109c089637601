// The mock upstream's only door: tests and the CLI import from here.
export { createMockUpstream } from "./app.js";
export { startMockUpstream } from "./server.js";
export { parseMockEnv } from "./env.js";
export { summarizePrompt, summarizeReasoning } from "./summarize.js";
export { DEFAULT_ANSWER_TEXT, DEFAULT_REASONING_TEXT, defaultOptions } from "./options.js";
export { MOCK_SCENARIOS, HOSTILE_MODES } from "./types.js";
export { NATIVE_SCENARIOS, MOCK_TOOL_ARGS, type NativeScenario } from "./native/plan.js";
export { DEFAULT_ENDPOINTS, ERROR_CODES, PHASES } from "./endpoints.js";
export type { EndpointErrorCode, EndpointPhase, EndpointSeed, EndpointStatus, EndpointStatusBody } from "./endpoints.js";
export type { MockEnv } from "./env.js";
export type {
  CallTarget,
  DeepPartial,
  HostileMode,
  MockApi,
  ManagementCall,
  MockCall,
  MockCallKind,
  MockCallOutcome,
  MockFailFault,
  MockFaults,
  MockLatency,
  MockOptions,
  MockScenario,
  MockUpstream,
  RunningMock,
} from "./types.js";
