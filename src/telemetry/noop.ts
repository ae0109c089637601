import type { CallParent, CallTrace, RequestTrace, RequestTracing } from "./types.js";

/** No headers: a frozen object, so nothing is allocated per call and nobody can add to it. */
const NO_HEADERS: Record<string, string> = Object.freeze({});

const NO_CALL: CallTrace = {
  attempt: () => NO_HEADERS,
  answered: () => undefined,
  done: () => undefined,
  failed: () => undefined,
};

const NO_PARENT: CallParent = { call: () => NO_CALL };

const NO_TRACE: RequestTrace = {
  call: () => NO_CALL,
  stage: (_name, work) => work(NO_PARENT),
  note: () => undefined,
  end: () => undefined,
};

/**
 * Tracing off (no OTLP endpoint): one shared object whose every method does nothing, so a request
 * pays a few empty calls and allocates nothing for tracing.
 */
export const NO_TRACING: RequestTracing = { request: () => NO_TRACE };
