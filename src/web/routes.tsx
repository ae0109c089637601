import { Hono, type Context } from "hono";
import { hasAdminSession, isOpen, login, logout, type AccessSettings } from "../http/auth.js";
import { createLoginThrottle, readBodyText, type LoginThrottle } from "../http/index.js";
import type { GatewayEnv } from "../http/types.js";
import { ADMIN_JS } from "./assets/admin-script.js";
import { PLAYGROUND_JS } from "./assets/playground-script.js";
import { APP_CSS } from "./assets/style.js";
import { AdminPage, LoginPage, PlaygroundPage } from "./pages.js";

// A Map, not an object literal: a lookup by a client's name must never find "constructor",
// "__proto__" or "toString" on the prototype (that was a 500).
const ASSETS = new Map<string, { type: string; body: string }>([
  ["app.css", { type: "text/css; charset=utf-8", body: APP_CSS }],
  ["playground.js", { type: "text/javascript; charset=utf-8", body: PLAYGROUND_JS }],
  ["admin.js", { type: "text/javascript; charset=utf-8", body: ADMIN_JS }],
]);

/** A login form is a few dozen bytes; anything near this is not one. */
const LOGIN_MAX_BYTES = 8_192;
const LOGIN_BODY_TIMEOUT_MS = 10_000;

/** The client's address as the socket saw it (a proxy in front makes every client the proxy). */
function clientAddress(c: Context): string {
  const env: unknown = c.env;
  if (typeof env === "object" && env !== null && "incoming" in env) {
    const incoming = env.incoming as { socket?: { remoteAddress?: string } };
    return incoming.socket?.remoteAddress ?? "unknown";
  }
  return "unknown";
}

/** The playground at `/`, the dashboard at `/admin` (with its login), and their static assets. */
export function webRoutes(access: AccessSettings, throttle: LoginThrottle = createLoginThrottle({ now: access.now })) {
  const app = new Hono<GatewayEnv>();
  app.get("/", (c) => c.html(<PlaygroundPage keysRequired={access.keys.length > 0} />));
  app.get("/assets/:name", (c) => {
    const asset = ASSETS.get(c.req.param("name"));
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "no-cache" });
  });
  app.get("/admin", async (c) => {
    if (isOpen(access) || (await hasAdminSession(c, access))) return c.html(<AdminPage />);
    const what = access.adminPassword ? "Admin password" : access.adminToken ? "Admin token" : "API key";
    return c.html(<LoginPage failed={c.req.query("error") !== undefined} what={what} />);
  });
  app.post("/admin/login", async (c) => {
    const client = clientAddress(c);
    const waitMs = throttle.retryAfterMs(client);
    if (waitMs > 0) {
      // Locked: the attempt is not even checked, so guessing gets nowhere while it lasts.
      const seconds = Math.ceil(waitMs / 1000);
      const what = access.adminPassword ? "Admin password" : access.adminToken ? "Admin token" : "API key";
      return c.html(<LoginPage failed={false} what={what} lockedSeconds={seconds} />, 429, { "retry-after": String(seconds) });
    }
    const text = await readBodyText(c.req.raw, { maxBytes: LOGIN_MAX_BYTES, timeoutMs: LOGIN_BODY_TIMEOUT_MS });
    const password = new URLSearchParams(text).get("password") ?? "";
    const ok = await login(c, access, password);
    if (ok) throttle.succeeded(client);
    else throttle.failed(client);
    return c.redirect(ok ? "/admin" : "/admin?error=1", 303);
  });
  app.post("/admin/logout", (c) => {
    logout(c);
    return c.redirect("/admin", 303);
  });
  return app;
}
