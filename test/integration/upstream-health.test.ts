/**
 * `/upstream-health` tells anyone whether the upstream answers, but only an authenticated caller
 * (or anyone, on an open gateway) learns where it is and why it failed.
 */
import { describe, expect, it } from "vitest";
import { startGateway } from "../helpers/gateway.js";
import { useStack } from "../helpers/stack.js";

const ADMIN = "admin-token-0123456789";
const stack = useStack();
const health = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/upstream-health`, { headers });
  return { status: res.status, text: await res.text() };
};

describe("/upstream-health and access control", () => {
  it("open gateway: names the upstream", async () => {
    const { gateway, mock } = await stack();
    const r = await health(gateway.url);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ status: "ok", upstream: mock.baseUrl });
  });

  it("ADMIN_TOKEN only: anonymous callers get up/down without the URL; the admin gets it", async () => {
    const { gateway, mock } = await stack({}, { ADMIN_TOKEN: ADMIN });
    const anonymous = await health(gateway.url);
    expect(anonymous.status).toBe(200);
    expect(JSON.parse(anonymous.text)).toMatchObject({ status: "ok" });
    expect(anonymous.text).not.toContain(mock.baseUrl);
    expect(anonymous.text).not.toContain('upstream"');
    const admin = await health(gateway.url, { authorization: `Bearer ${ADMIN}` });
    expect(JSON.parse(admin.text)).toMatchObject({ upstream: mock.baseUrl });
  });

  it("keys: anonymous callers are refused; a key holder sees the URL", async () => {
    const { gateway, mock } = await stack({}, { GATEWAY_API_KEYS: "k-one" });
    expect((await health(gateway.url)).status).toBe(401);
    expect(JSON.parse((await health(gateway.url, { authorization: "Bearer k-one" })).text)).toMatchObject({ upstream: mock.baseUrl });
  });

  it("a down upstream: anonymous callers learn neither the address nor the error's wording", async () => {
    const down = "http://127.0.0.1:9/v1";
    const gateway = await startGateway({ UPSTREAM_BASE_URL: down, ADMIN_TOKEN: ADMIN });
    try {
      const anonymous = await health(gateway.url);
      expect(anonymous.status).toBe(503);
      expect(JSON.parse(anonymous.text)).toMatchObject({ status: "unavailable", reason: "the upstream did not answer (details for authenticated callers)" });
      expect(anonymous.text).not.toContain("127.0.0.1:9");
      const admin = JSON.parse((await health(gateway.url, { authorization: `Bearer ${ADMIN}` })).text) as { upstream: string; reason: string };
      expect(admin.upstream).toBe(down);
      expect(admin.reason).not.toBe("");
    } finally {
      await gateway.close();
    }
  });
});
