import { DEFAULT_ENDPOINTS } from "./endpoints.js";
import type { DeepPartial, MockFailFault, MockFaults, MockOptions } from "./types.js";

/** Plausible reasoning: several sentences, so reasoning summaries have something to pick from. */
export const DEFAULT_REASONING_TEXT =
  "The user wants to know why the sky looks blue during the day. " +
  "Sunlight contains every visible wavelength, and air molecules scatter short wavelengths far more strongly than long ones. " +
  "This is Rayleigh scattering, whose strength grows with the inverse fourth power of the wavelength. " +
  "Violet light is scattered even more than blue, but the sun emits less violet and human eyes are less sensitive to it. " +
  "So the answer should name Rayleigh scattering and mention why the sky is not violet.";

export const DEFAULT_ANSWER_TEXT =
  "The sky looks blue because air molecules scatter short, blue wavelengths of sunlight much more than long, red ones (Rayleigh scattering). " +
  "Violet is scattered even more, but sunlight holds less of it and our eyes are less sensitive to it, so we see blue.";

/** Programmatic defaults: no latency and no faults, so tests are fast unless they ask otherwise. */
export function defaultOptions(): MockOptions {
  return {
    scenario: "tagged",
    reasoningText: DEFAULT_REASONING_TEXT,
    answerText: DEFAULT_ANSWER_TEXT,
    chunkChars: 12,
    roleChunk: true,
    usageChunk: true,
    script: null,
    scripts: null,
    longReasoningSeconds: 20,
    latency: { headersMs: 0, reasoningChunkMs: 0, answerChunkMs: 0, promptSummaryMs: 0, reasoningSummaryMs: 0, progressSummaryMs: 0 },
    faults: {},
    wakeDelayMs: 3000,
    endpoints: { ...DEFAULT_ENDPOINTS },
  };
}

/**
 * Fill a partial `fail` fault. A fault given without `times` fails every matching call, and without
 * `status` it is the most common transient upstream failure, 503.
 */
function completeFail(fail: DeepPartial<MockFailFault>): MockFailFault {
  const out: MockFailFault = { status: fail.status ?? 503, times: fail.times ?? Infinity };
  if (fail.target !== undefined) out.target = fail.target;
  if (fail.retryAfterSeconds !== undefined) out.retryAfterSeconds = fail.retryAfterSeconds;
  if (fail.retryAfterMs !== undefined) out.retryAfterMs = fail.retryAfterMs;
  if (fail.message !== undefined) out.message = fail.message;
  if (fail.param !== undefined) out.param = fail.param;
  return out;
}

function completeFaults(faults: DeepPartial<MockFaults>): MockFaults {
  const { fail, ...rest } = faults;
  // Dropping explicit `undefined`s keeps `"x" in faults` checks honest.
  const out: MockFaults = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  if (fail !== undefined) out.fail = completeFail(fail);
  return out;
}

/**
 * Apply a patch to options and return the new options (the input is not mutated). `latency` merges
 * field by field; `faults` replaces wholesale, because a test that sets one fault should not inherit
 * another left over from an earlier test.
 */
export function mergeOptions(base: MockOptions, patch: DeepPartial<MockOptions>): MockOptions {
  const { latency, faults, ...scalars } = patch;
  const next: MockOptions = { ...base, latency: { ...base.latency }, faults: base.faults };
  for (const [key, value] of Object.entries(scalars)) {
    if (value !== undefined) Object.assign(next, { [key]: value });
  }
  if (latency !== undefined) {
    for (const [key, value] of Object.entries(latency)) {
      if (typeof value === "number") Object.assign(next.latency, { [key]: value });
    }
  }
  if (faults !== undefined) next.faults = completeFaults(faults);
  return next;
}
