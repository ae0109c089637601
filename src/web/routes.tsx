import { Hono, type Context } from "hono";
import {
  createLoginThrottle,
  hasAdminSession,
  isOpen,
  login,
  logout,
  readBodyText,
  type AccessSettings,
  type GatewayEnv,
  type LoginThrottle,
} from "../http/index.js";
import { AdminPage } from "./admin-page.js";
import { isWebAssetName, loadWebAssets } from "./assets.js";
import { LoginPage } from "./login-page.js";
import { PlaygroundPage } from "./playground-page.js";

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

/** The playground at `/`, the dashboard at `/admin` (with its login), and their bundled assets. */
export function webRoutes(access: AccessSettings, throttle: LoginThrottle = createLoginThrottle({ now: access.now })) {
  const app = new Hono<GatewayEnv>();
  const loginWhat = () => (access.adminPassword ? "Admin password" : access.adminToken ? "Admin token" : "API key");
  app.get("/", (c) => c.html(<PlaygroundPage keysRequired={access.keys.length > 0} />));
  app.get("/assets/:name", async (c) => {
    const name = c.req.param("name");
    // Names are checked against our own list, never looked up on an object ("constructor" was a 500).
    if (!isWebAssetName(name)) return c.notFound();
    const asset = (await loadWebAssets()).get(name);
    if (!asset) return c.notFound();
    // no-cache = revalidate every time; the ETag makes that a 304 until the bundle changes.
    const headers: Record<string, string> = { "content-type": asset.type, "cache-control": "no-cache", etag: asset.etag, vary: "accept-encoding" };
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304, headers);
    if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
      return c.body(asset.gzip, 200, { ...headers, "content-encoding": "gzip" });
    }
    return c.body(asset.body, 200, headers);
  });
  app.get("/admin", async (c) => {
    if (isOpen(access)) return c.html(<AdminPage signOut={false} />);
    if (await hasAdminSession(c, access)) return c.html(<AdminPage signOut={true} />);
    return c.html(<LoginPage failed={c.req.query("error") !== undefined} what={loginWhat()} />);
  });
  app.post("/admin/login", async (c) => {
    // Counted now, with the body unread: attempts opened at once and sent later are attempts too.
    const attempt = throttle.begin(clientAddress(c));
    if ("retryAfterMs" in attempt) {
      // Locked: the attempt is not even read, so guessing gets nowhere while it lasts.
      const seconds = Math.ceil(attempt.retryAfterMs / 1000);
      return c.html(<LoginPage failed={false} what={loginWhat()} lockedSeconds={seconds} />, 429, { "retry-after": String(seconds), connection: "close" });
    }
    const text = await readBodyText(c.req.raw, { maxBytes: LOGIN_MAX_BYTES, timeoutMs: LOGIN_BODY_TIMEOUT_MS });
    const password = new URLSearchParams(text).get("password") ?? "";
    const ok = await login(c, access, password);
    if (ok) attempt.succeeded();
    return c.redirect(ok ? "/admin" : "/admin?error=1", 303);
  });
  app.post("/admin/logout", (c) => {
    logout(c);
    return c.redirect("/admin", 303);
  });
  return app;
}
