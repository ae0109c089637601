import { Hono } from "hono";
import { hasAdminSession, isOpen, login, logout, type AccessSettings } from "../http/auth.js";
import type { GatewayEnv } from "../http/types.js";
import { AdminPage } from "./admin-page.js";
import { isWebAssetName, loadWebAssets } from "./assets.js";
import { LoginPage } from "./login-page.js";
import { PlaygroundPage } from "./playground-page.js";

/** The playground at `/`, the dashboard at `/admin` (with its login), and their bundled assets. */
export function webRoutes(access: AccessSettings) {
  const app = new Hono<GatewayEnv>();
  app.get("/", (c) => c.html(<PlaygroundPage keysRequired={access.keys.length > 0} />));
  app.get("/assets/:name", async (c) => {
    const name = c.req.param("name");
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
