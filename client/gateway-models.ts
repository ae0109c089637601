import * as z from "zod";
import { describeNetworkError, GatewayHttpError, GatewayUnreachableError } from "../src/sdk/index.js";

/** What the client suggests whenever `--url` looks wrong. */
export const URL_HINT = "point --url (or GATEWAY_URL) at the gateway's base URL, e.g. --url http://127.0.0.1:8000";

/**
 * The server at `--url` answered, but not the way the staged gateway does: an upstream (such as
 * the mock on :8001), another service, or a wrong path. Said apart from a gateway's own errors so
 * the user is told to fix the URL, not to retry.
 */
export class NotGatewayError extends Error {
  override readonly name = "NotGatewayError";
  constructor(
    readonly url: string,
    readonly why: string,
  ) {
    super(`${url} is not the staged reasoning gateway: ${why} — ${URL_HINT}`);
  }
}

/** The gateway answered the model list, but it names no model: the user has to pick one. */
export class NoModelsError extends Error {
  override readonly name = "NoModelsError";
  constructor(readonly url: string) {
    super(`the gateway at ${url} lists no models, so there is no default: pass --model <name>`);
  }
}

// OpenAI's list shape; `default: true` marks the model the gateway wants used when none is named.
const modelList = z.object({ data: z.array(z.looseObject({ id: z.string(), default: z.boolean().optional() })) });

/** The error body's message and code, when it is OpenAI-shaped JSON. */
async function httpErrorOf(res: Response): Promise<GatewayHttpError> {
  const text = await res.text().catch(() => "");
  const requestId = res.headers.get("x-request-id") ?? undefined;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    if (typeof body.error?.message === "string") {
      return new GatewayHttpError(res.status, body.error.message, typeof body.error.code === "string" ? body.error.code : undefined, requestId);
    }
  } catch {
    // Not JSON: fall through to the text itself.
  }
  return new GatewayHttpError(res.status, text.replace(/\s+/g, " ").trim().slice(0, 200) || res.statusText || "no message", undefined, requestId);
}

/**
 * The model to use when `--model` is not given: the one `GET /openai/v1/models` marks `default`,
 * else the first it lists. A client that hard-coded a name would only ever work against the mock.
 * Throws {@link NotGatewayError} when the answer is not a gateway's model list, {@link NoModelsError}
 * for an empty list, and the SDK's errors for an unreachable server or a refusal (e.g. 401).
 */
export async function defaultModelOf(doFetch: typeof fetch, base: string, apiKey: string | undefined, signal: AbortSignal): Promise<string> {
  const url = `${base}/openai/v1/models`;
  let res: Response;
  try {
    res = await doFetch(url, { headers: { accept: "application/json", ...(apiKey && { authorization: `Bearer ${apiKey}` }) }, signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new GatewayUnreachableError(base, describeNetworkError(err));
  }
  // Every gateway serves this route (behind its keys); a 404 means something else is listening.
  if (res.status === 404) {
    await res.body?.cancel();
    throw new NotGatewayError(base, "it has no /openai/v1/models (HTTP 404)");
  }
  if (!res.ok) throw await httpErrorOf(res);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new NotGatewayError(base, "its /openai/v1/models answer is not JSON");
  }
  const list = modelList.safeParse(body);
  if (!list.success) throw new NotGatewayError(base, "its /openai/v1/models answer is not a model list");
  const chosen = list.data.data.find((m) => m.default === true) ?? list.data.data[0];
  if (!chosen) throw new NoModelsError(base);
  return chosen.id;
}
