// Schema-validated answers: what `response_format` asks for, and the compiled check of an answer.
// The pipeline decides when to check, retry and escalate; this room only knows JSON Schema.
export { readAnswerFormat, ResponseFormatError, type AnswerFormat } from "./format.js";
export { createAnswerValidator, MAX_REPORTED_ERRORS, type AnswerCheck, type AnswerValidator, type AnswerValidatorOptions, type CheckResult } from "./validator.js";
export { constrainedInstruction } from "./instruction.js";
