import { describe, expect, it } from "vitest";
import { constrainedInstruction, createAnswerValidator, MAX_REPORTED_ERRORS, readAnswerFormat, ResponseFormatError, type AnswerFormat } from "../../../src/validation/index.js";

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
    expect(readAnswerFormat({ type: "json_schema", json_schema: { name: "any", strict: null } })).toEqual({ type: "json_schema", name: "any", schema: undefined, strict: false });
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

describe("createAnswerValidator", () => {
  const v = () => createAnswerValidator({ cacheSize: 4 });

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
    const check = v().prepare(fmt(schema)).check;
    expect(check('{"id":"6f1c2a4e-8b1d-4c3e-9f00-1234567890ab","when":"2025-01-01T10:00:00Z","mood":"calm","pair":[1,"a"],"owner":{"name":"Ann"}}')).toEqual({ valid: true });
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
    const asJson = v().prepare(fmt(undefined)).check;
    expect(asJson("[1, 2]")).toEqual({ valid: true });
    const fenced = asJson('```json\n{"a": 1}\n```');
    expect(fenced.valid).toBe(false);
    if (!fenced.valid) {
      expect(fenced.errors).toHaveLength(1);
      expect(fenced.errors[0]).toMatch(/^the answer is not JSON: /);
      expect(fenced.errors[0]).not.toContain("\n");
    }
    const object = v().prepare({ type: "json_object" }).check;
    expect(object(' {"a": [1]} \n')).toEqual({ valid: true });
    expect(object("[1]")).toEqual({ valid: false, errors: ["(root): must be a JSON object"] });
    expect(object("null")).toEqual({ valid: false, errors: ["(root): must be a JSON object"] });
  });

  it("reports at most MAX_REPORTED_ERRORS errors, each cut to a bounded length", () => {
    const properties = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, { type: "integer" }]));
    const answer = JSON.stringify(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, "x"])));
    const r = v().prepare(fmt({ type: "object", properties })).check(answer);
    expect(r.valid === false && r.errors.length).toBe(MAX_REPORTED_ERRORS);
    const long = `{"${"k".repeat(5000)}": 1}`;
    const r2 = v().prepare(fmt({ type: "object", additionalProperties: false })).check(long);
    expect(r2.valid === false && r2.errors[0]!.length).toBeLessThanOrEqual(300);
  });

  it("compiles each distinct schema once (equal JSON, different objects share it), in an LRU of bounded size", () => {
    const val = createAnswerValidator({ cacheSize: 2 });
    const a = val.prepare(fmt({ type: "integer" }));
    expect(val.cached).toBe(1);
    val.prepare(fmt({ type: "integer" }));
    expect(val.cached).toBe(1);
    val.prepare(fmt({ type: "string" }));
    val.prepare(fmt({ type: "integer" })); // used again: now the most recent
    val.prepare(fmt({ type: "boolean" })); // evicts "string"
    expect(val.cached).toBe(2);
    // An evicted or cached check keeps working.
    expect(a.check("3")).toEqual({ valid: true });
    expect(val.prepare(fmt({ type: "string" })).check('"s"')).toEqual({ valid: true });
    expect(val.cached).toBe(2);
  });

  it("lets two requests use one $id with different schemas, and a recursive schema works after compiling", () => {
    const val = v();
    const tree = { $id: "https://example.com/tree", type: "object", properties: { kids: { type: "array", items: { $ref: "#" } } }, additionalProperties: false };
    const other = { $id: "https://example.com/tree", type: "integer" };
    expect(val.prepare(fmt(tree)).check('{"kids":[{"kids":[{}]}]}')).toEqual({ valid: true });
    expect(val.prepare(fmt(tree)).check('{"kids":[{"kids":[{"x":1}]}]}')).toMatchObject({ valid: false });
    expect(val.prepare(fmt(other)).check("7")).toEqual({ valid: true });
  });

  it("accepts a schema that names draft-07 in $schema (zod-to-json-schema does) and checks it as 2020-12", () => {
    expect(v().prepare(fmt({ $schema: "http://json-schema.org/draft-07/schema#", type: "object", required: ["a"] })).check("{}")).toEqual({
      valid: false,
      errors: ["(root): must have required property 'a'"],
    });
  });

  it("runs a schema's patterns in linear time: a pattern that would backtrack for minutes answers at once", () => {
    const check = v().prepare(fmt({ type: "object", properties: { code: { type: "string", pattern: "^(a+)+$" } }, patternProperties: { "^x(y+)+$": { type: "integer" } } })).check;
    const evil = `${"a".repeat(40_000)}b`;
    const started = performance.now();
    expect(check(JSON.stringify({ code: evil, [`x${"y".repeat(40_000)}`]: 1 }))).toEqual({ valid: false, errors: ['/code: must match pattern "^(a+)+$"'] });
    // JavaScript's own engine would need far longer than the age of the universe for this one.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(check('{"code": "aaa"}')).toEqual({ valid: true });
    // Patterns keep their JavaScript meaning: classes, Unicode properties, named groups.
    const id = v().prepare(fmt({ type: "string", pattern: "^(?<year>\\d{4})-\\p{Lu}{2}$" })).check;
    expect([id('"2024-ÄB"'), id('"24-AB"')]).toEqual([{ valid: true }, { valid: false, errors: ['(root): must match pattern "^(?<year>\\d{4})-\\p{Lu}{2}$"'] }]);
  });

  it.each([
    [{ type: "string", pattern: "^(?=a)" }, /pattern "\^\(\?=a\)" is not supported \(patterns run on RE2, in linear time: no lookaround, no backreferences\)/],
    [{ type: "integr" }, /^response_format\.json_schema\.schema: schema is invalid: data\/type must be equal to one of the allowed values/],
    [{ properties: { a: { minimum: "one" } } }, /schema is invalid: data\/properties\/a\/minimum must be number/],
    [{ $ref: "#/$defs/missing" }, /can't resolve reference #\/\$defs\/missing/],
    [{ $ref: "https://example.com/remote.json" }, /can't resolve reference https:\/\/example\.com\/remote\.json/],
    [{ $async: true, type: "object" }, /\$async schemas are not supported/],
  ])("a schema that does not compile (%j) throws invalid_json_schema naming the problem", (schema, message) => {
    let thrown: unknown;
    try {
      v().prepare(fmt(schema));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ResponseFormatError);
    expect((thrown as ResponseFormatError).code).toBe("invalid_json_schema");
    expect((thrown as Error).message).toMatch(message);
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
    expect(constrainedInstruction({ type: "json_object" }, [])).toBe("Your answer must be a single JSON object.\n\nReturn only JSON that matches it: no prose, no code fences, nothing before or after the JSON.");
  });
});
