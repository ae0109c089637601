// Schema-validated answers: what `response_format` asks for, and the check of an answer, run in
// worker threads within a budget. The pipeline decides when to check, retry and escalate; this
// room only knows JSON Schema.
export { readAnswerFormat, ResponseFormatError, type AnswerFormat } from "./format.js";
export { createAnswerValidator, type AnswerCheck, type AnswerValidator, type AnswerValidatorOptions } from "./validator.js";
// Types only: the checker (Ajv, ajv-formats, re2js: ≈ 80 ms to load) runs in the validation
// workers, which import checker.ts themselves; a gateway that never checks an answer never loads it.
export type { CheckResult, SchemaChecker } from "./checker.js";
export { ValidationBudgetError, ValidationBusyError, ValidationUnavailableError } from "./errors.js";
export { MAX_ANSWER_DEPTH, MAX_REPORTED_ERRORS, SCHEMA_LIMITS, schemaLimitProblem, VALIDATOR_SIZING } from "./limits.js";
export { constrainedInstruction } from "./instruction.js";
