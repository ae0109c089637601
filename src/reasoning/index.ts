// The reasoning room's only door: pure parsers, buffers and tables; no I/O, no timers.
export { createReasoningSeparator, MAX_HELD_WHITESPACE, MAX_PARTIAL_TAG } from "./separator.js";
export { MAX_HARMONY_HEADER } from "./harmony.js";
export {
  DEFAULT_CAPABILITIES,
  resolveCapability,
  resolveCapabilityFor,
  resolveThinkingControl,
  type CapabilityRule,
  type FamilyDefault,
} from "./capabilities.js";
export { effectiveMode, effortBudget, EFFORTS, isEffort, thinkingFields, type Effort, type ThinkingControl } from "./thinking.js";
export { createReasoningCollector, CLIP_MARKER, type ReasoningCollector } from "./clip.js";
export { MODES } from "./formats.js";
export type { DeltaInput, ParsedPart, ParsedToolCall, ReasoningSeparator, SeparatorOptions } from "./types.js";
