export { createSummarizer, type Summarize, type SummaryKind, type SummaryResult, type SummaryFailure } from "./summarize.js";
export { fallbackSummary } from "./fallback.js";
export { PROGRESS_SUMMARY_INSTRUCTION, PROMPT_SUMMARY_INSTRUCTION, REASONING_SUMMARY_INSTRUCTION } from "./prompts.js";
