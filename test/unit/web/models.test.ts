import { describe, expect, it } from "vitest";
import { pickModel, rankModels } from "../../../src/web/client/models.js";

describe("rankModels / pickModel", () => {
  it("puts likely reasoning models first and plain ones last, otherwise keeping the order", () => {
    const mock = ["mock-plain", "mock-r1", "mock-reasoning", "mock-reasoning_content", "mock-tagged", "mock-think"];
    expect(rankModels(mock)).toEqual(["mock-reasoning", "mock-reasoning_content", "mock-think", "mock-r1", "mock-tagged", "mock-plain"]);
    expect(rankModels(["llama-3.1-8b-instruct", "gpt-4o", "deepseek-r1", "qwen3-32b", "o3-mini"])).toEqual([
      "deepseek-r1",
      "o3-mini",
      "qwen3-32b",
      "gpt-4o",
      "llama-3.1-8b-instruct",
    ]);
    expect(rankModels(["summary-small", "gpt-oss-120b"])[0]).toBe("gpt-oss-120b");
    expect(rankModels([])).toEqual([]);
  });

  it("never offers mock-plain first when anything else is there", () => {
    expect(pickModel(rankModels(["mock-plain", "mock-tagged"]), null)).toBe("mock-tagged");
    expect(pickModel(rankModels(["mock-plain"]), null)).toBe("mock-plain");
  });

  it("keeps the user's own pick while it is offered", () => {
    expect(pickModel(["a-reasoner", "mock-plain"], "mock-plain")).toBe("mock-plain");
    expect(pickModel(["a-reasoner", "mock-plain"], "gone")).toBe("a-reasoner");
    expect(pickModel([], "gone")).toBeUndefined();
  });
});
