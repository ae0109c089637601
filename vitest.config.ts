import { configDefaults, defineConfig } from "vitest/config";

/**
 * Projects: `unit` (in-process, quick: `npx vitest run --project unit` takes seconds) and
 * `integration` (test/integration and test/hostile: real sockets, real processes, real services).
 * The integration project's global set-up runs `make build` once, so process tests spawn the
 * compiled `dist/` with plain node.
 *
 * Test files share their worker's module cache (`isolate: false`): each fork imports the gateway,
 * the SDKs and playwright once instead of once per file, which took 190 s of a run's import time
 * (integration alone, on two cores: 447 → 350 s). A file that replaces a module with `vi.mock`
 * needs a fresh module graph, so it runs in `unit-isolated`. What a file leaves behind (a server,
 * an env var) is its own to clean up, as it always was.
 */
const MOCKS_MODULES = ["test/unit/upstream/retry.test.ts"];

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
          exclude: [...configDefaults.exclude, ...MOCKS_MODULES],
          isolate: false,
          // CPU-bound: one fork per core. Runs first (its own group): a broken unit shows in seconds.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "unit-isolated",
          include: MOCKS_MODULES,
          maxWorkers: 1,
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
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
