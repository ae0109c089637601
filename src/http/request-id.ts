import type { MiddlewareHandler } from "hono";
import { MAX_REQUEST_ID_CHARS } from "./json-body.js";
import type { GatewayEnv } from "./types.js";
import { requestHeader } from "./request-header.js";

/** What a client's own id may look like to be kept and echoed: short and plain. */
const PLAIN_ID = /^[\w\-.:=]+$/;

/**
 * Every request gets an id of the gateway's own making (`x-request-id` on the answer): it keys
 * the request's stream, its event log, cancel and the owner check, so no client input can make
 * two requests share them. A client's own `x-client-request-id` (or `x-request-id`, as many SDKs
 * send) is a correlation id only: logged with the request and echoed as `x-client-request-id`,
 * when short and plain; otherwise ignored.
 */
export function requestIds(newId: () => string): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const id = newId();
    c.set("requestId", id);
    c.header("x-request-id", id);
    const theirs = requestHeader(c, "x-client-request-id") ?? requestHeader(c, "x-request-id");
    if (theirs !== undefined && theirs.length <= MAX_REQUEST_ID_CHARS && PLAIN_ID.test(theirs)) {
      c.set("clientRequestId", theirs);
      c.header("x-client-request-id", theirs);
    }
    await next();
  };
}
