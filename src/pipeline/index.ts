export { runStaged, type RunCancel, type RunEnd, type RunResult } from "./run.js";
export type { PipelineDeps, StageSink } from "./deps.js";
export type { ValidationDeps } from "./validation.js";
export { createCollector, createToolCallAssembler, type Collected, type ToolCall } from "./collect.js";
export { failureOf, typeForStatus, type Failure } from "./failure.js";
export { createInflight, type Inflight } from "./inflight.js";
export type { ResearchOutcome, ResearchStep } from "./research.js";
export { GATEWAY_EXTENSION_FIELDS, TAG_INSTRUCTION, type StagedRequest, type ChatMessage, type ResearchRequest } from "./request.js";
export { rejectedRecord } from "./record.js";
