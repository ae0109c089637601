import { afterAll, describe, expect, it } from "vitest";
import { createSchemaChecker } from "../../../src/validation/checker.js";
import {
  constrainedInstruction,
  createAnswerValidator,
  MAX_ANSWER_DEPTH,
  MAX_REPORTED_ERRORS,
  readAnswerFormat,
  ResponseFormatError,
  SCHEMA_LIMITS,
  ValidationBudgetError,
  ValidationBusyError,
  ValidationUnavailableError,
  type AnswerFormat,
  type AnswerValidator,
  type AnswerValidatorOptions,
} from "../../../src/validation/index.js";

const fmt = (schema: Record<string, unknown> | boolean | undefined, strict = false): AnswerFormat => ({ type: "json_schema", name: "t", schema, strict });

describe("readAnswerFormat", () => {
  it("reads json_object and json_schema (name, schema, strict), and ignores what it does not check", () => {
    expect(readAnswerFormat({ type: "json_object" })).toEqual({ type: "json_object" });
    expect(readAnswerFormat({ type: "json_schema", json_schema: { name: "trip", schema: { type: "object" }, strict: true } })).toEqual({
      type: "json_schema",
      name: "trip",
      schema: { type: "object" },
      strict: true,
    });
    // OpenAI's API allows a json_schema without a schema: then the answer only has to be JSON.
    expect(readAnswerFormat({ type: "json_schema", json_schema: { name: "any", strict: null } })).toEqual({
      type: "json_schema",
      name: "any",
      schema: undefined,
      strict: false,
    });
    for (const nothing of [undefined, null, { type: "text" }, { type: "regex", pattern: "x" }]) expect(readAnswerFormat(nothing)).toBeUndefined();
  });

  it.each([
    ["json", "response_format: must be an object"],
    [{ type: "json_schema", json_schema: [] }, 'response_format.json_schema: must be an object ({"name": …, "schema": {…}, "strict": …})'],
    [{ type: "json_schema", json_schema: { name: 3, schema: {} } }, "response_format.json_schema.name: must be a string"],
    [{ type: "json_schema", json_schema: { schema: [] } }, "response_format.json_schema.schema: must be a JSON Schema (an object)"],
    [{ type: "json_schema", json_schema: { schema: {}, strict: "yes" } }, "response_format.json_schema.strict: must be true or false"],
  ])("refuses %j with a message naming the field", (value, message) => {
    expect(() => readAnswerFormat(value)).toThrow(new ResponseFormatError(message, "invalid_response_format"));
  });
});

describe("the schema checker (what runs in a validation worker)", () => {
  const checker = () => createSchemaChecker({ cacheSize: 4 });
  /** The check of one schema, as prepare() compiles it: `$schema` dropped. */
  const checkOf = (schema: Record<string, unknown> | boolean, c = checker()) => {
    const own = typeof schema === "boolean" || !("$schema" in schema) ? schema : Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema"));
    return (text: string) => c.check("schema", JSON.stringify(own), text);
  };

  it("checks draft 2020-12: types, required, additionalProperties, enum, prefixItems, $defs, and formats", () => {
    const schema = {
      type: "object",
      properties: {
        id: { type: "string", format: "uuid" },
        when: { type: "string", format: "date-time" },
        mood: { enum: ["calm", "busy"] },
        pair: { type: "array", prefixItems: [{ type: "integer" }, { type: "string" }], items: false },
        owner: { $ref: "#/$defs/person" },
      },
      required: ["id", "mood"],
      additionalProperties: false,
      $defs: { person: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } },
    };
    const check = checkOf(schema);
    expect(check('{"id":"6f1c2a4e-8b1d-4c3e-9f00-1234567890ab","when":"2025-01-01T10:00:00Z","mood":"calm","pair":[1,"a"],"owner":{"name":"Ann"}}')).toEqual({
      valid: true,
    });
    expect(check('{"id":"nope","mood":"angry","pair":[1,"a",3],"owner":{},"extra":1}')).toEqual({
      valid: false,
      errors: [
        '(root): must NOT have additional properties ("extra")',
        '/id: must match format "uuid"',
        '/mood: must be equal to one of the allowed values (["calm","busy"])',
        "/pair: must NOT have more than 2 items",
        "/owner: must have required property 'name'",
      ],
    });
  });

  it("says when the answer is not JSON at all, on one line, and checks json_object for an object", () => {
    const c = checker();
    const asJson = (text: string) => c.check("json", undefined, text);
    expect(asJson("[1, 2]")).toEqual({ valid: true });
    const fenced = asJson('```json\n{"a": 1}\n```');
    expect(fenced.valid).toBe(false);
    if (!fenced.valid) {
      expect(fenced.errors).toHaveLength(1);
      expect(fenced.errors[0]).toMatch(/^the answer is not JSON: /);
      expect(fenced.errors[0]).not.toContain("\n");
    }
    const object = (text: string) => c.check("object", undefined, text);
    expect(object(' {"a": [1]} \n')).toEqual({ valid: true });
    expect(object("[1]")).toEqual({ valid: false, errors: ["(root): must be a JSON object"] });
    expect(object("null")).toEqual({ valid: false, errors: ["(root): must be a JSON object"] });
  });

  it(`an answer nested deeper than ${MAX_ANSWER_DEPTH} levels is invalid before it is parsed; a recursive schema checks one within it`, () => {
    const tree = { $ref: "#/$defs/tree", $defs: { tree: { type: "array", items: { $ref: "#/$defs/tree" } } } };
    const check = checkOf(tree);
    const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
    expect(check(nested(MAX_ANSWER_DEPTH))).toEqual({ valid: true });
    expect(check(nested(MAX_ANSWER_DEPTH + 1))).toEqual({
      valid: false,
      errors: [`the answer nests deeper than ${MAX_ANSWER_DEPTH} levels, the most checked`],
    });
    // Before, 100,000 levels against a recursive schema ran the gateway out of stack.
    expect(check(nested(100_000))).toMatchObject({ valid: false });
    expect(checker().check("json", undefined, nested(100_000))).toMatchObject({ valid: false });
  });

  it("reports at most MAX_REPORTED_ERRORS errors, each cut to a bounded length", () => {
    const properties = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, { type: "integer" }]));
    const answer = JSON.stringify(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, "x"])));
    const r = checkOf({ type: "object", properties })(answer);
    expect(r.valid === false && r.errors.length).toBe(MAX_REPORTED_ERRORS);
    const long = `{"${"k".repeat(5000)}": 1}`;
    const r2 = checkOf({ type: "object", additionalProperties: false })(long);
    expect(r2.valid === false && r2.errors[0]!.length).toBeLessThanOrEqual(300);
  });

  it("compiles each distinct schema once (equal JSON shares it), in an LRU of bounded size", () => {
    const c = createSchemaChecker({ cacheSize: 2 });
    const json = (schema: unknown) => JSON.stringify(schema);
    expect(c.compile(json({ type: "integer" }))).toBeUndefined();
    expect(c.cached).toBe(1);
    c.compile(json({ type: "integer" }));
    expect(c.cached).toBe(1);
    c.compile(json({ type: "string" }));
    c.compile(json({ type: "integer" })); // used again: now the most recent
    c.compile(json({ type: "boolean" })); // evicts "string"
    expect(c.cached).toBe(2);
    // An evicted schema is compiled again when an answer needs it.
    expect(c.check("schema", json({ type: "string" }), '"s"')).toEqual({ valid: true });
    expect(c.check("schema", json({ type: "integer" }), "3")).toEqual({ valid: true });
    expect(c.cached).toBe(2);
  });

  it("lets two requests use one $id with different schemas, and a recursive schema works after compiling", () => {
    const c = checker();
    const tree = {
      $id: "https://example.com/tree",
      type: "object",
      properties: { kids: { type: "array", items: { $ref: "#" } } },
      additionalProperties: false,
    };
    const other = { $id: "https://example.com/tree", type: "integer" };
    expect(checkOf(tree, c)('{"kids":[{"kids":[{}]}]}')).toEqual({ valid: true });
    expect(checkOf(tree, c)('{"kids":[{"kids":[{"x":1}]}]}')).toMatchObject({ valid: false });
    expect(checkOf(other, c)("7")).toEqual({ valid: true });
  });

  it("accepts a schema that names draft-07 in $schema (zod-to-json-schema does) and checks it as 2020-12", () => {
    expect(checkOf({ $schema: "http://json-schema.org/draft-07/schema#", type: "object", required: ["a"] })("{}")).toEqual({
      valid: false,
      errors: ["(root): must have required property 'a'"],
    });
  });

  it("runs a schema's patterns in linear time: a pattern that would backtrack for minutes answers at once", () => {
    const check = checkOf({
      type: "object",
      properties: { code: { type: "string", pattern: "^(a+)+$" } },
      patternProperties: { "^x(y+)+$": { type: "integer" } },
    });
    const evil = `${"a".repeat(40_000)}b`;
    const started = performance.now();
    expect(check(JSON.stringify({ code: evil, [`x${"y".repeat(40_000)}`]: 1 }))).toEqual({ valid: false, errors: ['/code: must match pattern "^(a+)+$"'] });
    // JavaScript's own engine would need far longer than the age of the universe for this one.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(check('{"code": "aaa"}')).toEqual({ valid: true });
    // Patterns keep their JavaScript meaning: classes, Unicode properties, named groups.
    const id = checkOf({ type: "string", pattern: "^(?<year>\\d{4})-\\p{Lu}{2}$" });
    expect([id('"2024-ÄB"'), id('"24-AB"')]).toEqual([
      { valid: true },
      { valid: false, errors: ['(root): must match pattern "^(?<year>\\d{4})-\\p{Lu}{2}$"'] },
    ]);
  });
});

describe("the answer validator (worker threads)", () => {
  const opened: AnswerValidator[] = [];
  afterAll(async () => {
    for (const v of opened) await v.close();
  });
  const validator = (over: Partial<AnswerValidatorOptions> = {}) => {
    const v = createAnswerValidator({
      cacheSize: 4,
      workers: 1,
      queueLimit: 8,
      budgetMs: 10_000,
      heapMb: 128,
      idleMs: 5_000,
      ...over,
    });
    opened.push(v);
    return v;
  };
  const shared = validator();

  /** What prepare() rejects with. */
  async function refusal(v: AnswerValidator, schema: Record<string, unknown>): Promise<ResponseFormatError> {
    const e: unknown = await v.prepare(fmt(schema)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ResponseFormatError);
    return e as ResponseFormatError;
  }

  it("compiles in a worker and checks answers there", async () => {
    const check = (await shared.prepare(fmt({ type: "object", required: ["a"] }))).check;
    expect(await check('{"a":1}')).toEqual({ valid: true });
    expect(await check("{}")).toEqual({ valid: false, errors: ["(root): must have required property 'a'"] });
    expect(await (await shared.prepare({ type: "json_object" })).check("[1]")).toEqual({ valid: false, errors: ["(root): must be a JSON object"] });
  });

  it.each([
    [{ type: "string", pattern: "^(?=a)" }, /pattern "\^\(\?=a\)" is not supported \(patterns run on RE2, in linear time: no lookaround, no backreferences\)/],
    [{ type: "integr" }, /^response_format\.json_schema\.schema: schema is invalid: data\/type must be equal to one of the allowed values/],
    [{ properties: { a: { minimum: "one" } } }, /schema is invalid: data\/properties\/a\/minimum must be number/],
    [{ $ref: "#/$defs/missing" }, /can't resolve reference #\/\$defs\/missing/],
    [{ $ref: "https://example.com/remote.json" }, /can't resolve reference https:\/\/example\.com\/remote\.json/],
    [{ $async: true, type: "object" }, /\$async schemas are not supported/],
  ])("a schema that does not compile (%j) is invalid_json_schema naming the problem", async (schema, message) => {
    const e = await refusal(shared, schema);
    expect(e.code).toBe("invalid_json_schema");
    expect(e.message).toMatch(message);
  });

  it("a schema past a limit is schema_too_complex naming the limit, refused before it is compiled", async () => {
    const e = await refusal(shared, { type: "array", items: { enum: Array.from({ length: 5_000 }, (_, i) => i) } });
    expect(e).toMatchObject({
      code: "schema_too_complex",
      message: `response_format.json_schema.schema: the schema has 5000 values in the enum at /items/enum; at most ${SCHEMA_LIMITS.maxEnumValues} are allowed`,
    });
  });

  it("a check past its budget is stopped (the worker terminated, even mid-loop): ValidationBudgetError, and the next check runs on a fresh worker", async () => {
    const v = validator({ budgetMs: 300 });
    const check = (await v.prepare(fmt({ type: "array", uniqueItems: true }))).check;
    const items = JSON.stringify(Array.from({ length: 60_000 }, (_, i) => ({ i })));
    const started = performance.now();
    const e: unknown = await check(items).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ValidationBudgetError);
    expect((e as ValidationBudgetError).exceeded).toBe("time");
    // Stopped at the budget, not after the quadratic check's tens of seconds.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await check("[1,2,3]")).toEqual({ valid: true });
  });

  it("a check that runs its worker out of heap fails alone with ValidationBudgetError (memory)", async () => {
    const v = validator({ heapMb: 16 });
    const check = (await v.prepare(fmt({ type: "array", items: { type: "string", minLength: 2, enum: ["aa"] } }))).check;
    // Every item fails three keywords: Ajv (allErrors) gathers ~900,000 error objects.
    const e: unknown = await check(JSON.stringify(Array.from({ length: 300_000 }, () => 0))).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ValidationBudgetError);
    expect((e as ValidationBudgetError).exceeded).toBe("memory");
    expect(await check('["aa"]')).toEqual({ valid: true });
  });

  it("past the queue bound a check is refused with ValidationBusyError; a request that ends stops waiting", async () => {
    const v = validator({ queueLimit: 2, budgetMs: 2_000 });
    const slow = (await v.prepare(fmt({ type: "array", uniqueItems: true }))).check;
    const items = JSON.stringify(Array.from({ length: 60_000 }, (_, i) => ({ i })));
    const running = slow(items).catch((err: unknown) => err);
    // Wait until the worker has it, so the queue holds only what follows.
    await new Promise((r) => setTimeout(r, 200));
    const leaving = new AbortController();
    const queued = [slow("[1]", leaving.signal).catch((err: unknown) => err), slow("[2]")];
    await expect(slow("[3]")).rejects.toBeInstanceOf(ValidationBusyError);
    leaving.abort(new Error("client left"));
    expect(await queued[0]).toMatchObject({ message: "client left" });
    expect(await running).toBeInstanceOf(ValidationBudgetError);
    expect(await queued[1]).toEqual({ valid: true });
  });

  it("a worker that cannot start is ValidationUnavailableError, not a hang", async () => {
    const v = validator({ script: new URL("./no-such-worker.js", import.meta.url) });
    await expect((await v.prepare({ type: "json_object" })).check("{}")).rejects.toBeInstanceOf(ValidationUnavailableError);
  });
});

describe("constrainedInstruction", () => {
  it("restates the schema and the last answer's problems, and asks for JSON only", () => {
    const text = constrainedInstruction(fmt({ type: "object", required: ["a"] }), ["(root): must have required property 'a'"]);
    expect(text).toBe(
      'Your answer must be JSON that matches this JSON Schema ("t"):\n{"type":"object","required":["a"]}\n\n' +
        "A previous answer was rejected:\n- (root): must have required property 'a'\n\n" +
        "Return only JSON that matches it: no prose, no code fences, nothing before or after the JSON.",
    );
    expect(constrainedInstruction({ type: "json_object" }, [])).toBe(
      "Your answer must be a single JSON object.\n\nReturn only JSON that matches it: no prose, no code fences, nothing before or after the JSON.",
    );
  });
});
