import { afterEach } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { startGateway, type RunningGateway } from "./gateway.js";

type MockOptions = Parameters<typeof startMockUpstream>[0];

export interface Stack {
  mock: RunningMock;
  gateway: RunningGateway;
}

/**
 * A mock upstream and a gateway pointed at it, both on port 0, closed after each test.
 * Call `useStack()` at the top of a test file, then `await stack(mockOptions, env)` in a test.
 */
export function useStack(): (mockOptions?: MockOptions, env?: Record<string, string>) => Promise<Stack> {
  const open: Stack[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) {
      await s.gateway.close();
      await s.mock.close();
    }
  });
  return async (mockOptions = {}, env = {}) => {
    const mock = await startMockUpstream(mockOptions);
    const gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, ...env });
    const s = { mock, gateway };
    open.push(s);
    return s;
  };
}
