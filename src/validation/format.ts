/**
 * What a request asked its answer to be (`response_format`), as far as the gateway checks it.
 * `json_object`: any JSON object. `json_schema`: JSON matching `schema` (any JSON when the request
 * gave no schema, as OpenAI's API allows).
 */
export type AnswerFormat =
  | { type: "json_object" }
  | {
      type: "json_schema";
      /** `json_schema.name`, for messages; "" when the request gave none. */
      name: string;
      schema: Record<string, unknown> | boolean | undefined;
      /** `json_schema.strict: true`: an answer that never validates fails the request. */
      strict: boolean;
    };

/**
 * A `response_format` the gateway cannot check: the client's 400, before any upstream call.
 * `schema_too_complex`: the schema breaks one of SCHEMA_LIMITS, or compiling it exceeds the budget.
 */
export class ResponseFormatError extends Error {
  override readonly name = "ResponseFormatError";
  constructor(
    message: string,
    readonly code: "invalid_response_format" | "invalid_json_schema" | "schema_too_complex",
  ) {
    super(message);
  }
}

/**
 * Read a request's `response_format`. `undefined` when there is nothing to check: absent, `null`,
 * `{"type":"text"}`, or a type the gateway does not know (left to the upstream to judge).
 * Throws ResponseFormatError for a shape that cannot mean anything.
 */
export function readAnswerFormat(value: unknown): AnswerFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new ResponseFormatError("response_format: must be an object", "invalid_response_format");
  if (value.type === "json_object") return { type: "json_object" };
  if (value.type !== "json_schema") return undefined;
  const spec = value.json_schema;
  if (!isRecord(spec)) {
    throw new ResponseFormatError('response_format.json_schema: must be an object ({"name": …, "schema": {…}, "strict": …})', "invalid_response_format");
  }
  const { name, schema, strict } = spec;
  if (name !== undefined && typeof name !== "string")
    throw new ResponseFormatError("response_format.json_schema.name: must be a string", "invalid_response_format");
  if (schema !== undefined && typeof schema !== "boolean" && !isRecord(schema)) {
    throw new ResponseFormatError("response_format.json_schema.schema: must be a JSON Schema (an object)", "invalid_response_format");
  }
  if (strict !== undefined && strict !== null && typeof strict !== "boolean") {
    throw new ResponseFormatError("response_format.json_schema.strict: must be true or false", "invalid_response_format");
  }
  return { type: "json_schema", name: name ?? "", schema, strict: strict === true };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
