import { describe, expect, it } from "vitest";
import { SCHEMA_LIMITS, schemaLimitProblem } from "../../../src/validation/index.js";

const problem = (schema: Record<string, unknown>) => schemaLimitProblem(schema, JSON.stringify(schema));

/** `anyOf` of two `$ref`s to the next level, `depth` levels: 2 KB of JSON, 2^depth subschemas once followed. */
function refChain(depth: number, ref: (i: number) => string = (i) => `#/$defs/n${i}`, name: (i: number) => Record<string, unknown> = () => ({})) {
  const $defs: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) $defs[`n${i}`] = { ...name(i), anyOf: [{ $ref: ref(i + 1) }, { $ref: ref(i + 1) }] };
  $defs[`n${depth}`] = { ...name(depth), type: "string" };
  return { $ref: ref(0), $defs };
}

describe("schema limits", () => {
  it("a real schema (pydantic-style $defs used in several places, an enum, recursion) keeps every limit", () => {
    const schema = {
      type: "object",
      properties: {
        home: { $ref: "#/$defs/Address" },
        work: { $ref: "#/$defs/Address" },
        pets: { type: "array", items: { $ref: "#/$defs/Pet" } },
        tree: { $ref: "#/$defs/Node" },
        mood: { enum: Array.from({ length: SCHEMA_LIMITS.maxEnumValues }, (_, i) => `m${i}`) },
      },
      required: ["home"],
      $defs: {
        Address: { type: "object", properties: { street: { type: "string" }, country: { $ref: "#/$defs/Country" } } },
        Country: { type: "string", enum: ["DE", "FR", "JP"] },
        Pet: { type: "object", properties: { name: { type: "string" }, home: { $ref: "#/$defs/Address" } } },
        Node: { type: "object", properties: { kids: { type: "array", items: { $ref: "#/$defs/Node" } } } },
      },
    };
    expect(problem(schema)).toBeUndefined();
    expect(problem({ type: "array", items: { $ref: "#" } })).toBeUndefined();
    expect(schemaLimitProblem(true, "true")).toBeUndefined();
  });

  it("anyOf-of-two-$refs chains: 10 deep passes, 20 deep is refused for its expansion (before: seconds and 850 MB to check)", () => {
    expect(problem(refChain(10))).toBeUndefined();
    expect(JSON.stringify(refChain(20)).length).toBeLessThan(2_500);
    expect(problem(refChain(20))).toBe(
      `expands to more than ${SCHEMA_LIMITS.maxExpandedSubschemas} subschemas once its $refs are followed (a $ref used in many places, or $refs to $refs)`,
    );
    // The same chain through $anchor names, and through this document's own $id.
    expect(
      problem(
        refChain(
          20,
          (i) => `#a${i}`,
          (i) => ({ $anchor: `a${i}` }),
        ),
      ),
    ).toMatch(/^expands to more than/);
    expect(problem({ $id: "https://example.com/s", ...refChain(20, (i) => `https://example.com/s#/$defs/n${i}`) })).toMatch(/^expands to more than/);
  });

  it("a chain of $refs longer than the bound is refused", () => {
    const $defs: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) $defs[`n${i}`] = { $ref: `#/$defs/n${i + 1}` };
    $defs.n40 = { type: "string" };
    expect(problem({ $ref: "#/$defs/n0", $defs })).toMatch(new RegExp(`^follows more than ${SCHEMA_LIMITS.maxRefChain} \\$refs one inside another`));
  });

  it("an enum past the bound is refused, naming where", () => {
    expect(problem({ type: "object", properties: { tag: { enum: Array.from({ length: 5_000 }, (_, i) => i) } } })).toBe(
      `has 5000 values in the enum at /properties/tag/enum; at most ${SCHEMA_LIMITS.maxEnumValues} are allowed`,
    );
    // A property merely named "enum" is a property, not a keyword.
    expect(problem({ type: "object", properties: { enum: { type: "string" } } })).toBeUndefined();
  });

  it("size and nesting: past either bound, refused before anything is walked", () => {
    const big = { type: "object", description: "x".repeat(SCHEMA_LIMITS.maxChars) };
    expect(problem(big)).toMatch(new RegExp(`^is \\d+ characters of JSON; at most ${SCHEMA_LIMITS.maxChars} are allowed$`));
    let deep: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < SCHEMA_LIMITS.maxDepth; i++) deep = { not: deep };
    expect(problem(deep)).toBe(`nests deeper than ${SCHEMA_LIMITS.maxDepth} levels`);
  });

  it("a $ref this document cannot resolve is left for the compiler to report", () => {
    expect(problem({ $ref: "https://example.com/remote.json" })).toBeUndefined();
    expect(problem({ $ref: "#/$defs/missing/%zz" })).toBeUndefined();
    expect(problem({ $ref: "#/__proto__" })).toBeUndefined();
  });
});
