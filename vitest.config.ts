import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll's own default (1 s) is a tight bound on a shared two-core machine; polling
    // returns as soon as the condition holds, so a generous ceiling costs nothing when all is well.
    expect: { poll: { timeout: 15_000, interval: 50 } },
    // Two cores: a couple of forks keep socket tests from starving each other.
    pool: "forks",
    maxWorkers: 2,
  },
});
