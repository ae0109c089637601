import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: a couple of forks keep socket tests from starving each other.
    pool: "forks",
    maxWorkers: 2,
  },
});
