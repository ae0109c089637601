/**
 * Time bounds for tests on a busy two-core machine shared with other work. They are ceilings, not
 * expectations: a passing test returns as soon as its condition holds, so a generous bound costs
 * nothing until something is really wrong — and then the error says what never happened.
 */

/** Something already under way should finish (an abort noticed, a queue drained, a row written). */
export const SETTLE_MS = 15_000;

/** A spawned process should be ready (tsx compiles on start, PGlite loads its WebAssembly). */
export const READY_MS = 90_000;

/**
 * Per-test timeout for a test that opens PGlite in this process, or runs its whole initdb (about 6
 * CPU-s of one core when quiet; 30 s was not enough with two CPU-bound processes beside the suite).
 */
export const PGLITE_TEST_MS = 120_000;

/**
 * Per-test timeout for a browser test that drives a whole stack through its pages: the dashboard's
 * tests wait for its refresh cycles (21 s for the longest when quiet, 26 s with the machine loaded).
 */
export const PAGE_TEST_MS = 90_000;

/** Per-test timeout for a test that spawns processes and waits for them. */
export const PROCESS_TEST_MS = 180_000;
