import { Hono } from "hono";
import { hasAdminSession, isOpen, login, logout, type AccessSettings } from "../http/auth.js";
import type { GatewayEnv } from "../http/types.js";
import { ADMIN_JS } from "./assets/admin-script.js";
import { PLAYGROUND_JS } from "./assets/playground-script.js";
import { APP_CSS } from "./assets/style.js";
import { AdminPage, LoginPage, PlaygroundPage } from "./pages.js";

const ASSETS: Record<string, { type: string; body: string }> = {
  "app.css": { type: "text/css; charset=utf-8", body: APP_CSS },
  "playground.js": { type: "text/javascript; charset=utf-8", body: PLAYGROUND_JS },
  "admin.js": { type: "text/javascript; charset=utf-8", body: ADMIN_JS },
};

/** The playground at `/`, the dashboard at `/admin` (with its login), and their static assets. */
export function webRoutes(access: AccessSettings) {
  const app = new Hono<GatewayEnv>();
  app.get("/", (c) => c.html(<PlaygroundPage keysRequired={access.keys.length > 0} />));
  app.get("/assets/:name", (c) => {
    const asset = ASSETS[c.req.param("name")];
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "no-cache" });
  });
  app.get("/admin", async (c) => {
    if (isOpen(access) || (await hasAdminSession(c, access))) return c.html(<AdminPage />);
    const what = access.adminPassword ? "Admin password" : access.adminToken ? "Admin token" : "API key";
    return c.html(<LoginPage failed={c.req.query("error") !== undefined} what={what} />);
  });
  app.post("/admin/login", async (c) => {
    const form = await c.req.parseBody();
    const password = typeof form.password === "string" ? form.password : "";
    return c.redirect((await login(c, access, password)) ? "/admin" : "/admin?error=1", 303);
  });
  app.post("/admin/logout", (c) => {
    logout(c);
    return c.redirect("/admin", 303);
  });
  return app;
}
