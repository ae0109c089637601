import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeysFileError, loadKeysFile } from "../../src/config/index.js";
import { sha256 } from "../../src/http/index.js";
import { postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { spawnGateway } from "../helpers/process.js";

const stack = useStack();
const ask = { model: "mock-tagged", messages: userMessage("What is 2+2?") };
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const ADMIN = "admin-token-0123456789";

describe("API keys", () => {
  it("401 without a key, 403 with a wrong one, 200 with a right one (Bearer or x-api-key); /healthz and pages stay public", async () => {
    const { gateway, mock } = await stack({}, { GATEWAY_API_KEYS: "k-one,k-two" });
    const none = await postStaged(gateway.url, ask);
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ error: { code: "missing_api_key", type: "authentication_error", message: expect.any(String) } });
    const wrong = await postStaged(gateway.url, ask, { headers: bearer("k-three") });
    expect(wrong.status).toBe(403);
    expect(wrong.json).toMatchObject({ error: { code: "invalid_api_key" } });
    expect(mock.mock.calls).toHaveLength(0);
    expect((await postStaged(gateway.url, ask, { headers: bearer("k-one") })).status).toBe(200);
    expect((await postStaged(gateway.url, ask, { headers: { "x-api-key": "k-two" } })).status).toBe(200);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/assets/app.css`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/v1/models`)).status).toBe(401);
    // Refusals are counted like any other request (an unconfigured model of a refusal is "other").
    const metrics = await (await fetch(`${gateway.url}/metrics`, { headers: bearer("k-one") })).text();
    expect(metrics).toMatch(/gateway_requests_total\{model="other",provider="none",outcome="rejected",status="401"\} 1/);
  });

  it("without ADMIN_TOKEN, admin routes take any valid key", async () => {
    const { gateway } = await stack({}, { GATEWAY_API_KEYS: "k-one" });
    expect((await fetch(`${gateway.url}/v1/providers`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/v1/providers`, { headers: bearer("k-one") })).status).toBe(200);
    expect((await fetch(`${gateway.url}/metrics`, { headers: bearer("nope") })).status).toBe(403);
  });

  it("reads named, hashed keys with their own limits from a keys file, and names the file when it is wrong", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-keys-"));
    try {
      const file = join(dir, "keys.yaml");
      writeFileSync(file, `keys:\n  - name: team-a\n    sha256: ${sha256("secret-a").toString("hex")}\n    rpm: 1\n`);
      const keys = loadKeysFile(file);
      expect(keys.map((k) => k.name)).toEqual(["team-a"]);
      const { mock } = await stack();
      const { startGateway } = await import("../helpers/gateway.js");
      const gw = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl }, { keys });
      try {
        expect((await postStaged(gw.url, ask, { headers: bearer("secret-a") })).status).toBe(200);
        const limited = await postStaged(gw.url, ask, { headers: bearer("secret-a") });
        expect(limited.status).toBe(429);
        expect(limited.json).toMatchObject({ error: { code: "rate_limited", message: expect.stringContaining("team-a") } });
      } finally {
        await gw.close();
      }
      writeFileSync(file, "keys:\n  - name: bad\n    sha256: xyz\n");
      expect(() => loadKeysFile(file)).toThrow(/keys\.yaml: invalid keys file:[\s\S]*keys\.0\.sha256/);
      // Typed, so start-up tells it from a bug by its class rather than by its wording.
      expect(() => loadKeysFile(file)).toThrow(KeysFileError);
      expect(() => loadKeysFile(join(dir, "absent.yaml"))).toThrow(KeysFileError);
      expect(() => loadKeysFile(join(dir, "absent.yaml"))).toThrow(/absent\.yaml: cannot read keys file: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("admin token", () => {
  it("guards operator routes: 401 without, 403 for an ordinary key, 200 with the token", async () => {
    const { gateway } = await stack({}, { GATEWAY_API_KEYS: "k-one", ADMIN_TOKEN: ADMIN });
    for (const path of ["/v1/providers", "/v1/monitoring/stats", "/v1/monitoring/logs", "/v1/monitoring/health", "/v1/requests", "/metrics"]) {
      expect((await fetch(`${gateway.url}${path}`)).status, path).toBe(401);
      const asKey = await fetch(`${gateway.url}${path}`, { headers: bearer("k-one") });
      expect(asKey.status, path).toBe(403);
      expect(await asKey.json()).toMatchObject({ error: { code: "forbidden" } });
      // Through the door (the request log is off in this gateway, so /v1/requests answers 503).
      expect([401, 403], path).not.toContain((await fetch(`${gateway.url}${path}`, { headers: bearer(ADMIN) })).status);
    }
    expect((await fetch(`${gateway.url}/v1/providers/reset`, { method: "POST", headers: bearer("k-one") })).status).toBe(403);
  });

  it("with only ADMIN_TOKEN the API stays open but operator routes do not", async () => {
    const { gateway } = await stack({}, { ADMIN_TOKEN: ADMIN });
    expect((await postStaged(gateway.url, ask)).status).toBe(200);
    expect((await fetch(`${gateway.url}/v1/monitoring/stats`)).status).toBe(401);
  });

  it("the admin login sets an HttpOnly, SameSite=Strict session that opens admin routes", async () => {
    const { gateway } = await stack({}, { ADMIN_TOKEN: ADMIN, ADMIN_PASSWORD: "correct horse" });
    const form = (password: string) => ({ method: "POST", body: new URLSearchParams({ password }), redirect: "manual" as const });
    const bad = await fetch(`${gateway.url}/admin/login`, form("wrong"));
    expect(bad.status).toBe(303);
    expect(bad.headers.get("location")).toBe("/admin?error=1");
    expect(bad.headers.get("set-cookie")).toBeNull();
    const good = await fetch(`${gateway.url}/admin/login`, form("correct horse"));
    const cookie = good.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = cookie.split(";")[0]!;
    expect((await fetch(`${gateway.url}/v1/providers`, { headers: { cookie: session } })).status).toBe(200);
    expect(await (await fetch(`${gateway.url}/admin`, { headers: { cookie: session } })).text()).toContain('id="providers-body"');
    expect(await (await fetch(`${gateway.url}/admin`)).text()).toContain('action="/admin/login"');
    // A tampered cookie is no session.
    expect((await fetch(`${gateway.url}/v1/providers`, { headers: { cookie: session.replace(/.$/, "x") } })).status).toBe(401);
  });
});

describe("limits per key", () => {
  it("KEY_RPM: 429 with Retry-After beyond the minute's budget", async () => {
    const { gateway } = await stack({}, { GATEWAY_API_KEYS: "k-one,k-two", KEY_RPM: "2" });
    expect((await postStaged(gateway.url, ask, { headers: bearer("k-one") })).status).toBe(200);
    expect((await postStaged(gateway.url, ask, { headers: bearer("k-one") })).status).toBe(200);
    const third = await postStaged(gateway.url, ask, { headers: bearer("k-one") });
    expect(third.status).toBe(429);
    expect(third.json).toMatchObject({ error: { code: "rate_limited", type: "rate_limit_error" } });
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    // Budgets are per key.
    expect((await postStaged(gateway.url, ask, { headers: bearer("k-two") })).status).toBe(200);
  });

  it("KEY_MAX_CONCURRENT: a second stream is refused while one is open, and slots come back however a stream ends", async () => {
    const { gateway, mock } = await stack({ latency: { reasoningChunkMs: 40 } }, { GATEWAY_API_KEYS: "k-one", KEY_MAX_CONCURRENT: "1" });
    const first = postStaged(gateway.url, ask, { headers: bearer("k-one") });
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat"));
    const second = await postStaged(gateway.url, ask, { headers: bearer("k-one") });
    expect(second.status).toBe(429);
    expect(second.json).toMatchObject({ error: { code: "too_many_concurrent" } });
    expect((await first).events.at(-1)?.event).toBe("output.done");
    // Finished normally: the slot is free again. Now end one by leaving early.
    const ac = new AbortController();
    const leaving = postStaged(gateway.url, ask, { headers: bearer("k-one"), signal: ac.signal }).catch(() => undefined);
    await mock.mock.waitFor((calls) => calls.filter((c) => c.kind === "chat").length === 2);
    ac.abort();
    await leaving;
    await mock.mock.waitFor((calls) => calls.filter((c) => c.kind === "chat").every((c) => c.outcome !== "pending"));
    await expect.poll(async () => (await postStaged(gateway.url, { ...ask, stream: false }, { headers: bearer("k-one") })).status).toBe(200);
    // A refused upstream call also gives the slot back.
    mock.mock.configure({ latency: { reasoningChunkMs: 0, promptSummaryMs: 300 }, faults: { fail: { status: 400, times: 1 } } });
    expect((await postStaged(gateway.url, ask, { headers: bearer("k-one") })).status).toBe(400);
    expect((await postStaged(gateway.url, ask, { headers: bearer("k-one") })).status).toBe(200);
  });
});

describe("browser-facing headers", () => {
  it("pages carry a strict CSP and nosniff", async () => {
    const { gateway } = await stack();
    const res = await fetch(`${gateway.url}/`);
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("no CORS unless CORS_ORIGINS allows the origin", async () => {
    const preflight = (url: string, origin: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const closed = await stack();
    expect((await preflight(closed.gateway.url, "https://app.example")).headers.get("access-control-allow-origin")).toBeNull();
    const open = await stack({}, { CORS_ORIGINS: "https://app.example" });
    expect((await preflight(open.gateway.url, "https://app.example")).headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect((await preflight(open.gateway.url, "https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("an open gateway binds to loopback only", () => {
  // Port 0: the gateway binds whatever is free, so no other process can take "our" port first.
  const start = (env: Record<string, string>) => spawnGateway({ PORT: "0", REQUEST_LOG: "false", LOG_LEVEL: "info", ...env });

  it(
    "refuses 0.0.0.0 without keys, and says why",
    async () => {
      const p = start({ HOST: "0.0.0.0" });
      expect((await p.exited).code).toBe(1);
      expect(p.output()).toMatch(/refusing to listen on 0\.0\.0\.0[\s\S]*ALLOW_OPEN_BIND/);
    },
    PROCESS_TEST_MS,
  );

  it(
    "starts on 0.0.0.0 with ALLOW_OPEN_BIND=true, or with keys",
    async () => {
      const envs: Record<string, string>[] = [
        { HOST: "0.0.0.0", ALLOW_OPEN_BIND: "true" },
        { HOST: "0.0.0.0", GATEWAY_API_KEYS: "k" },
      ];
      for (const env of envs) {
        const p = start(env);
        try {
          await p.waitForOutput("gateway listening");
        } finally {
          await p.kill();
        }
      }
    },
    PROCESS_TEST_MS,
  );
});
