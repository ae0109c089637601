import { Hono } from "hono";
import { createCallLog } from "./calls.js";
import { handleChat } from "./chat.js";
import { modelList, registerControlRoutes } from "./control.js";
import { createFailCounter } from "./faults.js";
import { createEndpointRegistry } from "./endpoints.js";
import { registerManagementRoutes } from "./management.js";
import { registerNativeRoutes } from "./native/routes.js";
import { errorBody } from "./openai.js";
import { defaultOptions, mergeOptions } from "./options.js";
import type { DeepPartial, ManagementCall, MockOptions, MockUpstream } from "./types.js";

/**
 * Abort every call in flight: kept out of the public `MockUpstream` so the contract stays as the
 * tests expect, and reached by `startMockUpstream().close()` through `shutdownMock`.
 */
const shutdowns = new WeakMap<MockUpstream, () => void>();

/** Abort every in-flight call of `mock` (their timers are cleared by the abort). */
export function shutdownMock(mock: MockUpstream): void {
  shutdowns.get(mock)?.();
}

/**
 * Build a mock upstream: the OpenAI-compatible API with scripted reasoning scenarios, the native
 * Anthropic, Gemini and Ollama APIs, fault injection, a Friendli management API emulation and a
 * record of every call. No I/O until the app is served.
 */
export function createMockUpstream(options: DeepPartial<MockOptions> = {}): MockUpstream {
  let current = mergeOptions(defaultOptions(), options);
  // The `scripts` queue as it is consumed: a copy, so the caller's array is never changed.
  let queue = [...(current.scripts ?? [])];
  const log = createCallLog();
  const failures = createFailCounter();
  const endpoints = createEndpointRegistry(
    () => current.endpoints,
    () => current.wakeDelayMs,
  );
  const managementCalls: ManagementCall[] = [];
  let lifetime = new AbortController();

  const app = new Hono();
  const mock: MockUpstream = {
    app,
    calls: log.calls,
    managementCalls,
    get options() {
      return current;
    },
    set options(next: MockOptions) {
      current = next;
      queue = [...(current.scripts ?? [])];
      failures.reset();
    },
    configure(patch) {
      current = mergeOptions(current, patch);
      if (patch.scripts !== undefined) queue = [...(current.scripts ?? [])];
      // New faults start counting afresh; otherwise "fail the next 2" would depend on history.
      if (patch.faults !== undefined) failures.reset();
    },
    reset() {
      log.reset();
      failures.reset();
      endpoints.reset();
      managementCalls.length = 0;
    },
    waitFor: (predicate, timeoutMs) => log.waitFor(predicate, timeoutMs),
  };
  shutdowns.set(mock, () => {
    lifetime.abort();
    // A fresh controller so the app can be served again after a close.
    lifetime = new AbortController();
  });

  registerControlRoutes(app, () => mock);
  registerManagementRoutes(app, { endpoints, options: () => current, calls: managementCalls });
  registerNativeRoutes(app, { options: () => current, log, failures, lifetime: () => lifetime.signal });

  app.get("*", (c, next) => (/\/models\/?$/.test(c.req.path) ? c.json(modelList()) : next()));
  app.post("*", (c, next) =>
    /\/chat\/completions\/?$/.test(c.req.path)
      ? handleChat(c, { options: () => current, log, failures, endpoints, lifetime: () => lifetime.signal, nextScript: () => queue.shift() })
      : next(),
  );
  app.notFound((c) => c.json(errorBody(404, `No route for ${c.req.method} ${c.req.path}`, "not_found"), 404));
  app.onError((err, c) => c.json(errorBody(500, `mock upstream error: ${err.message}`, "mock_internal"), 500));
  return mock;
}
