import { describe, expect, it } from "vitest";
import { ENV_GROUPS, envSchema, variablesHelp } from "../../../src/config/index.js";

describe("--help's variable groups", () => {
  it("name every variable of the schema exactly once, and nothing else", () => {
    const listed = ENV_GROUPS.flatMap((g) => g.names);
    expect([...listed].sort()).toEqual(Object.keys(envSchema.shape).sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("are all in the help text, under their titles", () => {
    const help = variablesHelp();
    for (const g of ENV_GROUPS) {
      expect(help).toContain(`  ${g.title}:\n`);
      for (const name of g.names) expect(help).toMatch(new RegExp(`\\b${name}\\b`));
    }
  });
});
