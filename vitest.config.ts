import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` (in-process, quick: `npx vitest run --project unit` takes seconds) and
 * `integration` (test/integration and test/hostile: real sockets, real processes, real services).
 * The integration project's global set-up runs `make build` once, so process tests spawn the
 * compiled `dist/` with plain node.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll's own default (1 s) is a tight bound on a shared two-core machine; polling
    // returns as soon as the condition holds, so a generous ceiling costs nothing when all is well.
    expect: { poll: { timeout: 15_000, interval: 50 } },
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          // CPU-bound: one fork per core. Runs first (its own group): a broken unit shows in seconds.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/hostile/**/*.test.ts"],
          globalSetup: ["test/helpers/global-setup.ts"],
          // Most of these wait on sockets and child processes: a third fork keeps two cores busy.
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
