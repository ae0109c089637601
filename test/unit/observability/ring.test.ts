import { describe, expect, it } from "vitest";
import { createLabelCap, createRing } from "../../../src/observability/index.js";

describe("createRing", () => {
  it("keeps the newest capacity items, oldest first", () => {
    const r = createRing<number>(3);
    expect(r.toArray()).toEqual([]);
    r.push(1);
    r.push(2);
    expect(r.toArray()).toEqual([1, 2]);
    for (let i = 3; i <= 7; i++) r.push(i);
    expect(r.size).toBe(3);
    expect(r.toArray()).toEqual([5, 6, 7]);
    expect(r.last(2)).toEqual([6, 7]);
    expect(r.last(10)).toEqual([5, 6, 7]);
  });

  it("rejects a capacity that is not a positive integer", () => {
    expect(() => createRing(0)).toThrow(RangeError);
    expect(() => createRing(1.5)).toThrow(RangeError);
  });
});

describe("createLabelCap", () => {
  it("passes the first N distinct values and maps the rest to other", () => {
    const cap = createLabelCap(2, "other");
    expect(["a", "b", "a", "c", "b", "d"].map((v) => cap(v))).toEqual(["a", "b", "a", "other", "b", "other"]);
  });
});
