// Schema-validated answers: what `response_format` asks for, and the check of an answer, run in
// worker threads within a budget. The pipeline decides when to check, retry and escalate; this
// room only knows JSON Schema.
export { readAnswerFormat, ResponseFormatError, type AnswerFormat } from "./format.js";
export { createAnswerValidator, type AnswerCheck, type AnswerValidator, type AnswerValidatorOptions } from "./validator.js";
export { createSchemaChecker, MAX_ANSWER_DEPTH, MAX_REPORTED_ERRORS, type CheckResult, type SchemaChecker } from "./checker.js";
export { ValidationBudgetError, ValidationBusyError, ValidationUnavailableError } from "./errors.js";
export { SCHEMA_LIMITS, schemaLimitProblem, VALIDATOR_SIZING } from "./limits.js";
export { constrainedInstruction } from "./instruction.js";
