import { afterEach } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { fileSettings, parseProvidersFile } from "../../src/providers/index.js";
import type { AppDeps } from "../../src/app.js";
import { startGateway, type RunningGateway } from "./gateway.js";

type MockOptions = NonNullable<Parameters<typeof startMockUpstream>[0]>;

export interface ProviderStack {
  mocks: Record<string, RunningMock>;
  gateway: RunningGateway;
}

/**
 * Several mock upstreams, one per provider id, and a gateway routed over them by a providers
 * file. The YAML may use `{{url:ID}}` for a mock's OpenAI base URL (`…/v1`) and `{{root:ID}}`
 * for its origin (native APIs). Closed after each test.
 */
export function useProviderStack() {
  const open: ProviderStack[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) {
      await s.gateway.close();
      await Promise.all(Object.values(s.mocks).map((m) => m.close().catch(() => undefined)));
    }
  });
  return async (
    mockOptions: Record<string, MockOptions>,
    yaml: string,
    env: Record<string, string> = {},
    extra: Partial<AppDeps> = {},
  ): Promise<ProviderStack> => {
    const mocks: Record<string, RunningMock> = {};
    for (const [id, opts] of Object.entries(mockOptions)) mocks[id] = await startMockUpstream(opts);
    const text = yaml
      .replace(/\{\{url:([a-z0-9-]+)\}\}/g, (_, id: string) => mocks[id]?.baseUrl ?? "http://127.0.0.1:9")
      .replace(/\{\{root:([a-z0-9-]+)\}\}/g, (_, id: string) => (mocks[id] ? `http://127.0.0.1:${mocks[id].port}` : "http://127.0.0.1:9"));
    const settings = fileSettings(parseProvidersFile(text, "test-providers.yaml", env), env);
    const gateway = await startGateway(env, { ...extra, providers: settings });
    const s = { mocks, gateway };
    open.push(s);
    return s;
  };
}

export const chatCalls = (m: RunningMock) => m.mock.calls.filter((c) => c.kind === "chat");
