import { createHash } from "node:crypto";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import type { RegExpEngine } from "ajv/dist/types/index.js";
import ajvFormats from "ajv-formats";
import { RE2JS, RE2JSException } from "re2js";
import { checkJsonShape } from "../util/index.js";
import { MAX_ANSWER_DEPTH, MAX_REPORTED_ERRORS } from "./limits.js";

/** How one answer fared against its format. */
export type CheckResult = { valid: true } | { valid: false; errors: string[] };

/** What an answer is checked for: any JSON object, any JSON, or JSON matching a schema. */
export type CheckKind = "object" | "json" | "schema";

const MAX_ERROR_CHARS = 300;

export interface SchemaCheckerOptions {
  /** Distinct schemas kept compiled; the least recently used goes first. */
  cacheSize: number;
}

/**
 * JSON Schema draft 2020-12 checks with Ajv (plus ajv-formats' `format`s), synchronous: this runs
 * inside the validation worker, where a slow check costs only its time budget. Schemas arrive as
 * JSON text; Ajv's own cache keys compiled schemas by object identity, which would keep every
 * request's schema forever, so each is removed from Ajv right after compiling and the compiled
 * function lives in our own bounded LRU, keyed by a hash of the text. Remote `$ref`s are never
 * fetched: a schema that needs one does not compile.
 */
export function createSchemaChecker(opts: SchemaCheckerOptions) {
  // addUsedSchema: false — a schema's `$id` is not registered, so two requests may reuse one.
  // strict: false — schemas from pydantic or zod carry keywords Ajv's strict mode refuses
  // (`discriminator`, `x-…`); an unknown keyword is an annotation, not an error.
  // code.regExp — a schema's `pattern`s run on RE2 (linear time), never on the backtracking engine.
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false, addUsedSchema: false, code: { regExp: linearRegExp } });
  // ajv-formats is CommonJS: under NodeNext its default import is the module object.
  ajvFormats.default(ajv);
  const cache = new Map<string, ValidateFunction>();

  /** The compiled check for a schema's JSON text; throws Ajv's own error when it does not compile. */
  function compiled(schemaJson: string): ValidateFunction {
    const key = createHash("sha256").update(schemaJson).digest("base64url");
    const hit = cache.get(key);
    if (hit) {
      // Map order is recency order: move it to the end.
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const schema = JSON.parse(schemaJson) as Record<string, unknown> | boolean;
    let validate: ValidateFunction;
    try {
      validate = ajv.compile(schema);
    } finally {
      if (typeof schema !== "boolean") ajv.removeSchema(schema);
    }
    if (opts.cacheSize > 0) {
      cache.set(key, validate);
      if (cache.size > opts.cacheSize) cache.delete(cache.keys().next().value as string);
    }
    return validate;
  }

  return {
    /** Compile now (and keep it): the problem, in words, when the schema does not compile. */
    compile(schemaJson: string): string | undefined {
      try {
        compiled(schemaJson);
        return undefined;
      } catch (e) {
        if (e instanceof RangeError) throw e; // out of stack: the budget's business, not a schema error
        return clip(e instanceof Error ? e.message : String(e));
      }
    },
    /** Check an answer. `schemaJson` is required for kind `schema`; compiled first when not cached. */
    check(kind: CheckKind, schemaJson: string | undefined, text: string): CheckResult {
      if (kind === "object") return parsed(text, (v) => (isObject(v) ? [] : ["(root): must be a JSON object"]));
      if (kind === "json" || schemaJson === undefined) return parsed(text, () => []);
      const validate = compiled(schemaJson);
      return parsed(text, (v) => (validate(v) ? [] : (validate.errors ?? []).slice(0, MAX_REPORTED_ERRORS).map(describe)));
    },
    /** How many compiled schemas are kept now (at most `cacheSize`). */
    get cached() {
      return cache.size;
    },
  };
}

export type SchemaChecker = ReturnType<typeof createSchemaChecker>;

/**
 * The client writes the pattern and the model writes the text: with JavaScript's backtracking
 * engine, `^(a+)+$` against 30 characters would stall the check for minutes. RE2 matches in time
 * linear in the text; the price is that lookaround and backreferences are not supported, which
 * makes such a schema the client's 400.
 */
const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    let re: RE2JS;
    try {
      re = RE2JS.compile(RE2JS.translateRegExp(pattern));
    } catch (e) {
      if (!(e instanceof RE2JSException)) throw e;
      throw new Error(
        `pattern ${JSON.stringify(pattern)} is not supported (patterns run on RE2, in linear time: no lookaround, no backreferences): ${e.message}`,
      );
    }
    // Ajv keys compiled patterns by toString(): without one, every pattern would share the first.
    return { test: (text: string) => re.test(text), toString: () => `/${pattern}/` };
  },
  // Only read by Ajv's standalone code generation, which the gateway does not use.
  { code: 'require("re2js").RE2JS' },
);

/** Parse the answer as JSON (once its nesting is known to be checkable), then run `errorsOf` on the value. */
function parsed(text: string, errorsOf: (value: unknown) => string[]): CheckResult {
  if (checkJsonShape(text, { maxDepth: MAX_ANSWER_DEPTH, maxNodes: Number.MAX_SAFE_INTEGER })) {
    return { valid: false, errors: [`the answer nests deeper than ${MAX_ANSWER_DEPTH} levels, the most checked`] };
  }
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

function isObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function clip(s: string): string {
  return s.length <= MAX_ERROR_CHARS ? s : `${s.slice(0, MAX_ERROR_CHARS - 1)}…`;
}
