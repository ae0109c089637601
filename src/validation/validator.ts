import { createHash } from "node:crypto";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import type { RegExpEngine } from "ajv/dist/types/index.js";
import ajvFormats from "ajv-formats";
import { RE2JS, RE2JSException } from "re2js";
import { ResponseFormatError, type AnswerFormat } from "./format.js";

/** How one answer fared against its format. */
export type CheckResult = { valid: true } | { valid: false; errors: string[] };

/** A compiled check for one request's format. */
export interface AnswerCheck {
  readonly format: AnswerFormat;
  /** A plain function (no `this`): safe to pass around. */
  readonly check: (text: string) => CheckResult;
}

export interface AnswerValidator {
  /** The check for a format, compiled once per distinct schema; throws ResponseFormatError when the schema does not compile. */
  prepare(format: AnswerFormat): AnswerCheck;
  /** How many compiled schemas are kept now (at most `cacheSize`). */
  readonly cached: number;
}

export interface AnswerValidatorOptions {
  /** Distinct schemas kept compiled; the least recently used goes first. */
  cacheSize: number;
}

/** The most validator errors reported for one answer: enough to fix it, not a wall of text. */
export const MAX_REPORTED_ERRORS = 10;
const MAX_ERROR_CHARS = 300;
/** Larger schemas are compiled for their request and not kept: the cache's memory stays bounded. */
const MAX_CACHED_SCHEMA_CHARS = 64 * 1024;

/**
 * JSON Schema draft 2020-12 checks with Ajv (plus ajv-formats' `format`s). Ajv's own cache keys
 * compiled schemas by object identity, which would keep every request's schema forever; so each
 * schema is removed from Ajv right after compiling, and the compiled function lives in our own
 * bounded LRU, keyed by a hash of the schema's JSON. Remote `$ref`s are never fetched: a schema
 * that needs one does not compile.
 */
export function createAnswerValidator(opts: AnswerValidatorOptions): AnswerValidator {
  // addUsedSchema: false — a schema's `$id` is not registered, so two requests may reuse one.
  // strict: false — schemas from pydantic or zod carry keywords Ajv's strict mode refuses
  // (`discriminator`, `x-…`); an unknown keyword is an annotation, not an error.
  // code.regExp — a schema's `pattern`s run on RE2 (linear time), never on the backtracking engine.
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false, addUsedSchema: false, code: { regExp: linearRegExp } });
  // ajv-formats is CommonJS: under NodeNext its default import is the module object.
  ajvFormats.default(ajv);
  const cache = new Map<string, ValidateFunction>();

  function compile(schema: Record<string, unknown> | boolean): ValidateFunction {
    // Checked as 2020-12 whatever `$schema` says: naming draft-07 (zod-to-json-schema does) must not
    // fail the request, and the two agree on everything but tuple `items`.
    const own = typeof schema === "boolean" ? schema : withoutDialect(schema);
    const json = JSON.stringify(own);
    const key = createHash("sha256").update(json).digest("base64url");
    const hit = cache.get(key);
    if (hit) {
      // Map order is recency order: move it to the end.
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    // An async schema's check returns a promise: nothing here could wait for it.
    if (typeof own !== "boolean" && own.$async === true) throw new ResponseFormatError("response_format.json_schema.schema: $async schemas are not supported", "invalid_json_schema");
    let validate: ValidateFunction;
    try {
      validate = ajv.compile(own);
    } catch (e) {
      throw new ResponseFormatError(`response_format.json_schema.schema: ${clip(e instanceof Error ? e.message : String(e))}`, "invalid_json_schema");
    } finally {
      if (typeof own !== "boolean") ajv.removeSchema(own);
    }
    if (json.length <= MAX_CACHED_SCHEMA_CHARS && opts.cacheSize > 0) {
      cache.set(key, validate);
      if (cache.size > opts.cacheSize) cache.delete(cache.keys().next().value as string);
    }
    return validate;
  }

  return {
    prepare(format) {
      if (format.type === "json_object") return { format, check: (text) => parsed(text, (v) => (isObject(v) ? [] : ["(root): must be a JSON object"])) };
      const schema = format.schema;
      if (schema === undefined) return { format, check: (text) => parsed(text, () => []) };
      const validate = compile(schema);
      return { format, check: (text) => parsed(text, (v) => (validate(v) ? [] : (validate.errors ?? []).slice(0, MAX_REPORTED_ERRORS).map(describe))) };
    },
    get cached() {
      return cache.size;
    },
  };
}

/**
 * The client writes the pattern and the model writes the text: with JavaScript's backtracking
 * engine, `^(a+)+$` against 30 characters would stall the event loop (and every other request)
 * for minutes. RE2 matches in time linear in the text; the price is that lookaround and
 * backreferences are not supported, which makes such a schema the client's 400.
 */
const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    let re: RE2JS;
    try {
      re = RE2JS.compile(RE2JS.translateRegExp(pattern));
    } catch (e) {
      if (!(e instanceof RE2JSException)) throw e;
      throw new Error(`pattern ${JSON.stringify(pattern)} is not supported (patterns run on RE2, in linear time: no lookaround, no backreferences): ${e.message}`);
    }
    // Ajv keys compiled patterns by toString(): without one, every pattern would share the first.
    return { test: (text: string) => re.test(text), toString: () => `/${pattern}/` };
  },
  // Only read by Ajv's standalone code generation, which the gateway does not use.
  { code: 'require("re2js").RE2JS' },
);

/** Parse the answer as JSON, then run `errorsOf` on the value. */
function parsed(text: string, errorsOf: (value: unknown) => string[]): CheckResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // The parser quotes the answer's start; its line breaks would split a log line or an SSE field.
    const why = (e instanceof Error ? e.message : String(e)).replace(/\r/g, "\\r").replace(/\n/g, "\\n");
    return { valid: false, errors: [clip(`the answer is not JSON: ${why}`)] };
  }
  const errors = errorsOf(value);
  return errors.length === 0 ? { valid: true } : { valid: false, errors };
}

/** `/items/0/age: must be integer` — where in the answer, then what is wrong. */
function describe(e: ErrorObject): string {
  const at = e.instancePath === "" ? "(root)" : e.instancePath;
  const params = e.params as Record<string, unknown>;
  const extra =
    e.keyword === "additionalProperties"
      ? ` (${JSON.stringify(params.additionalProperty)})`
      : e.keyword === "enum"
        ? ` (${JSON.stringify(params.allowedValues)})`
        : e.keyword === "const"
          ? ` (${JSON.stringify(params.allowedValue)})`
          : "";
  return clip(`${at}: ${e.message ?? `fails "${e.keyword}"`}${extra}`);
}

function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  if (!("$schema" in schema)) return schema;
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

function isObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function clip(s: string): string {
  return s.length <= MAX_ERROR_CHARS ? s : `${s.slice(0, MAX_ERROR_CHARS - 1)}…`;
}
