export { runStaged, type PipelineDeps, type StageSink } from "./run.js";
export { createCollector, createToolCallAssembler, type Collected, type ToolCall } from "./collect.js";
export { failureOf, typeForStatus, type Failure } from "./failure.js";
export { createInflight, type Inflight } from "./inflight.js";
export { withResearch, type ResearchOutcome, type ResearchRequest, type ResearchStep } from "./research.js";
export { GATEWAY_EXTENSION_FIELDS, TAG_INSTRUCTION, type StagedRequest, type ChatMessage } from "./request.js";
export { noopObserver, type RequestObserver, type RequestRecord, type RequestOutcome } from "./observer.js";
export { rejectedRecord } from "./record.js";
