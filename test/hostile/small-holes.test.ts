// The probe's smaller findings: prototype names as asset names, unlimited login guesses, and a
// loopback check fooled by a name that merely starts like an address.
import { describe, expect, it } from "vitest";
import { startGateway } from "../helpers/gateway.js";
import { freePort } from "../helpers/net.js";
import { spawnGateway } from "../helpers/process.js";
import { captureLogger } from "../helpers/pg.js";
import { useStack } from "../helpers/stack.js";

const stack = useStack();

describe("static assets", () => {
  it("answer 404 for names that exist only on Object.prototype, and log no error", async () => {
    const { logger, lines } = captureLogger();
    const gw = await startGateway({ UPSTREAM_BASE_URL: "http://127.0.0.1:9" }, { logger });
    try {
      for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"]) {
        const res = await fetch(`${gw.url}/assets/${name}`);
        expect(res.status, name).toBe(404);
        expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
      }
      expect((await fetch(`${gw.url}/assets/app.css`)).status).toBe(200);
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      await gw.close();
    }
  });
});

describe("admin login", () => {
  const form = (password: string) => ({ method: "POST", body: new URLSearchParams({ password }), redirect: "manual" as const });

  it("locks an address out after 5 wrong passwords: 429 with Retry-After, and even the right one waits", async () => {
    const { gateway } = await stack({}, { ADMIN_TOKEN: "a-very-long-admin-token", ADMIN_PASSWORD: "correct horse" });
    const login = (password: string) => fetch(`${gateway.url}/admin/login`, form(password));
    for (let i = 0; i < 5; i++) {
      const res = await login(`wrong ${i}`);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/admin?error=1");
    }
    for (const password of ["wrong again", "correct horse"]) {
      const locked = await login(password);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThanOrEqual(59);
      expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      expect(locked.headers.get("set-cookie")).toBeNull();
      expect(await locked.text()).toContain("Too many sign-in attempts");
    }
  });

  it("refuses an oversized login form with 413 instead of reading it all", async () => {
    const { gateway } = await stack({}, { ADMIN_TOKEN: "a-very-long-admin-token" });
    const res = await fetch(`${gateway.url}/admin/login`, form("x".repeat(20_000)));
    expect(res.status).toBe(413);
  });
});

describe("an open gateway's loopback check", () => {
  const start = async (env: Record<string, string>) => {
    const p = spawnGateway({ PORT: String(await freePort()), REQUEST_LOG: "false", LOG_LEVEL: "info", ...env });
    return { child: p.child, exit: p.exited.then((e) => e.code), out: p.output };
  };

  it("resolves HOST: 127.0.0.1.invalid is not loopback, and the refusal says why", async () => {
    const p = await start({ HOST: "127.0.0.1.invalid" });
    expect(await p.exit).toBe(1);
    expect(p.out()).toMatch(/refusing to listen on 127\.0\.0\.1\.invalid: cannot resolve HOST=127\.0\.0\.1\.invalid \(ENOTFOUND\)[\s\S]*ALLOW_OPEN_BIND/);
  });

  it("accepts localhost, which resolves to loopback only", async () => {
    const p = await start({ HOST: "localhost" });
    try {
      await expect.poll(() => p.out().includes("gateway listening"), { timeout: 20_000 }).toBe(true);
    } finally {
      p.child.kill("SIGTERM");
      await p.exit;
    }
  });
});
