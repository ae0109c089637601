import * as z from "zod";

/*
 * Imported first by every page entry. Zod compiles a fast path for object schemas with
 * `new Function`, and merely probing whether that is allowed trips the page's CSP (script-src
 * 'self', no 'unsafe-eval'): a violation report on every load. Jitless parsing never probes.
 */
z.config({ jitless: true });
