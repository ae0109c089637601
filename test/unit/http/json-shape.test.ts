import { describe, expect, it } from "vitest";
import { checkJsonShape } from "../../../src/http/index.js";

const limits = { maxDepth: 4, maxNodes: 10 };

describe("checkJsonShape", () => {
  it("passes a document within both bounds", () => {
    expect(checkJsonShape('{"a":[1,{"b":"c"}]}', limits)).toBeUndefined();
    expect(checkJsonShape('[[[["x"]]]]', limits)).toBeUndefined();
  });

  it("stops at the first level beyond maxDepth, in objects and arrays alike", () => {
    expect(checkJsonShape('[[[[["x"]]]]]', limits)).toEqual({ limit: "depth", at: 5 });
    expect(checkJsonShape(`${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`, limits)).toEqual({ limit: "depth", at: 5 });
  });

  it("counts every value, keys included, and stops beyond maxNodes", () => {
    // object + 3 keys + 3 values = 7; one more key/value pair is 9; two more is 11.
    expect(checkJsonShape('{"a":1,"b":true,"c":null}', limits)).toBeUndefined();
    expect(checkJsonShape('{"a":1,"b":true,"c":null,"d":-1.5e3,"e":"x"}', limits)).toEqual({ limit: "nodes", at: 11 });
    expect(checkJsonShape(`[${"0,".repeat(20)}0]`, limits)).toEqual({ limit: "nodes", at: 11 });
  });

  it("ignores brackets, quotes and digits inside strings", () => {
    expect(checkJsonShape(JSON.stringify({ a: '[[[[[[{{{{ \\" 1 2 3 4 5 6 7 8 9 10 11' }), limits)).toBeUndefined();
  });
});
