import type { Context, MiddlewareHandler } from "hono";
import { getSignedCookie, setSignedCookie, deleteCookie } from "hono/cookie";
import { ApiError } from "./errors.js";
import { matchKey, secretEquals, type ApiKey } from "./keys.js";
import type { GatewayEnv } from "./types.js";
import { requestHeader } from "./request-header.js";

export interface AccessSettings {
  keys: ApiKey[];
  adminToken: string | undefined;
  adminPassword: string | undefined;
  /** Signs the admin session cookie: derived from ADMIN_TOKEN, or random per process. */
  sessionSecret: string;
  now: () => number;
}

const SESSION_COOKIE = "gw_admin";
const SESSION_MS = 12 * 60 * 60 * 1000;

/** Pages and liveness stay public; the pages ask for credentials themselves. */
const isPublic = (path: string) =>
  path === "/healthz" || path === "/" || path === "/admin" || path === "/admin/login" || path === "/admin/logout" || path.startsWith("/assets/");

/** Operator routes: routing state, monitoring, the request log, metrics. */
export const isAdminPath = (path: string) =>
  path.startsWith("/v1/providers") ||
  path.startsWith("/v1/monitoring/") ||
  // A client's own stream (resume, cancel) is its key's business, not an operator's.
  (path.startsWith("/v1/requests") && !isClientStreamPath(path)) ||
  path === "/metrics";

/** `/v1/requests/{id}/stream` and `/v1/requests/{id}/cancel`: for the key that started the request. */
export const isClientStreamPath = (path: string) => /^\/v1\/requests\/[^/]+\/(stream|cancel)$/.test(path);

/** Open when neither keys nor an admin token are configured (then bound to loopback by main). */
export function isOpen(s: Pick<AccessSettings, "keys" | "adminToken">): boolean {
  return s.keys.length === 0 && s.adminToken === undefined;
}

function presentedKey(c: Context): string | undefined {
  const auth = requestHeader(c, "authorization");
  const bearer = auth?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return bearer || requestHeader(c, "x-api-key")?.trim() || undefined;
}

/** A valid, unexpired admin session cookie. */
export async function hasAdminSession(c: Context, s: AccessSettings): Promise<boolean> {
  const value = await getSignedCookie(c, s.sessionSecret, SESSION_COOKIE);
  return typeof value === "string" && Number(value) > s.now();
}

/**
 * Whether this caller may see operator detail (the upstream's URL, a failure's wording): anyone
 * when the gateway is open, else only a caller with a valid key, the admin token or an admin session.
 */
export async function isAuthenticated(c: Context, s: AccessSettings): Promise<boolean> {
  if (isOpen(s)) return true;
  const presented = presentedKey(c);
  if (presented !== undefined && s.adminToken !== undefined && secretEquals(presented, s.adminToken)) return true;
  if (presented !== undefined && matchKey(s.keys, presented) !== undefined) return true;
  return hasAdminSession(c, s);
}

/**
 * Every request's credentials, checked once: 401 when a protected route gets none, 403 when they
 * are wrong or not enough (an ordinary key on an admin route). The matched key is kept on the
 * context for the per-key limits.
 */
export function accessControl(s: AccessSettings): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    if (isOpen(s) || isPublic(c.req.path)) return next();
    const presented = presentedKey(c);
    const isAdminToken = presented !== undefined && s.adminToken !== undefined && secretEquals(presented, s.adminToken);
    const key = presented !== undefined && !isAdminToken ? matchKey(s.keys, presented) : undefined;

    if (isAdminPath(c.req.path)) {
      if (isAdminToken || (await hasAdminSession(c, s))) return next();
      // Without ADMIN_TOKEN, any valid API key may operate the gateway.
      if (s.adminToken === undefined && key) return next();
      if (presented === undefined)
        throw new ApiError(401, "this route needs the admin token (Authorization: Bearer ADMIN_TOKEN)", "missing_credentials", "authentication_error");
      throw new ApiError(403, key ? "an API key cannot use admin routes; use the admin token" : "invalid admin token", "forbidden", "permission_error");
    }
    if (s.keys.length === 0 || isAdminToken) return next();
    if (presented === undefined)
      throw new ApiError(401, "missing API key: send Authorization: Bearer KEY or x-api-key: KEY", "missing_api_key", "authentication_error");
    if (!key) throw new ApiError(403, "invalid API key", "invalid_api_key", "authentication_error");
    c.set("apiKey", key);
    return next();
  };
}

/**
 * The admin page's login: the password is ADMIN_PASSWORD, else the admin token itself, else
 * (keys only) any valid API key. Success sets an HttpOnly, SameSite=Strict signed cookie.
 */
export async function login(c: Context, s: AccessSettings, password: string): Promise<boolean> {
  const ok =
    s.adminPassword !== undefined
      ? secretEquals(password, s.adminPassword)
      : s.adminToken !== undefined
        ? secretEquals(password, s.adminToken)
        : matchKey(s.keys, password) !== undefined;
  if (!ok) return false;
  await setSignedCookie(c, SESSION_COOKIE, String(s.now() + SESSION_MS), s.sessionSecret, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    maxAge: SESSION_MS / 1000,
  });
  return true;
}

export function logout(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}
