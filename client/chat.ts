import { ExitCode, type ExitCodeValue } from "./exit.js";
import { defaultModelOf, NoModelsError, NotGatewayError, URL_HINT } from "./gateway-models.js";
import type { ResolvedIO } from "./io.js";
import type { ChatFlags } from "./options.js";
import type { Output } from "./output.js";
import { createHumanRenderer, createJsonRenderer } from "./render.js";
import { createStagedClient, describeNetworkError, GatewayHttpError, GatewayStreamError, GatewayUnreachableError } from "../src/sdk/index.js";

/** The request body the flags describe (with the model resolved); the gateway's own extension is `summary_model`. */
export function buildBody(flags: ChatFlags, model: string): Record<string, unknown> {
  const messages: { role: string; content: string }[] = [];
  if (flags.system !== undefined) messages.push({ role: "system", content: flags.system });
  messages.push({ role: "user", content: flags.prompt });
  const body: Record<string, unknown> = { model, messages, stream: true };
  if (flags.summaryModel !== undefined) body.summary_model = flags.summaryModel;
  if (flags.temperature !== undefined) body.temperature = flags.temperature;
  if (flags.maxTokens !== undefined) body.max_tokens = flags.maxTokens;
  return body;
}

/**
 * `--url`/`GATEWAY_URL` is the gateway's base URL (`http://127.0.0.1:8000`), as in the Makefile;
 * the chat URL itself or a `/v1` base are accepted too, since both are common habits.
 */
export function baseUrlOf(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v1(\/chat\/completions)?$/, "");
}

/** What the user can do about a gateway's refusal, when we can tell. */
function hintFor(err: GatewayHttpError, flags: ChatFlags): string | undefined {
  if (err.status === 401 || (err.status === 403 && err.code !== "model_not_allowed")) {
    return "pass --api-key or set GATEWAY_API_KEY";
  }
  if ((err.status === 502 || err.status === 503) && /unavailable|sleep/i.test(err.message) && !flags.wake) {
    return "a Friendli dedicated endpoint may be asleep: run again with --wake";
  }
  // The gateway names every answer (x-request-id); a bare 404 comes from something else.
  if (err.status === 404 && err.requestId === undefined) return `is this the gateway? ${URL_HINT}`;
  return undefined;
}

/** Prints a failure that happened before or during the request as one line; returns the exit code. */
function report(output: Output, flags: ChatFlags, err: unknown): ExitCodeValue {
  if (err instanceof NotGatewayError) {
    output.fail(err.message, { kind: "not_gateway", url: err.url });
    return ExitCode.failure;
  }
  if (err instanceof NoModelsError) {
    output.fail(err.message, { kind: "no_models", url: err.url });
    return ExitCode.failure;
  }
  if (err instanceof GatewayHttpError) {
    const code = err.code ? ` (${err.code})` : "";
    const hint = hintFor(err, flags);
    output.fail(`the gateway answered HTTP ${err.status}${code}: ${err.message}${hint ? ` — ${hint}` : ""}`, {
      kind: "http",
      status: err.status,
      code: err.code ?? null,
      request_id: err.requestId ?? null,
    });
    return ExitCode.failure;
  }
  if (err instanceof GatewayUnreachableError) {
    output.fail(err.message, { kind: "unreachable", url: err.url });
    return ExitCode.failure;
  }
  const reason = err instanceof GatewayStreamError ? err.message : describeNetworkError(err);
  output.fail(`the stream from ${flags.url} broke: ${reason}`, { kind: "stream" });
  return ExitCode.failure;
}

/**
 * Send one staged request and render it. Returns the exit code; every failure has been printed
 * by then, as one clear line and never a stack trace.
 */
export async function runChat(io: ResolvedIO, output: Output, flags: ChatFlags): Promise<ExitCodeValue> {
  const timeout = AbortSignal.timeout(flags.timeout * 1000);
  // One signal for the whole request: Ctrl-C and --timeout both close the connection.
  const signal = io.signal ? AbortSignal.any([io.signal, timeout]) : timeout;
  const base = baseUrlOf(flags.url);
  const stopped = (): ExitCodeValue | undefined => {
    if (io.signal?.aborted) {
      output.fail("interrupted: the request was cancelled", { kind: "interrupted" });
      return ExitCode.interrupted;
    }
    if (timeout.aborted) {
      output.fail(`no complete answer within ${flags.timeout} s (--timeout); the request was cancelled`, { kind: "timeout" });
      return ExitCode.failure;
    }
    return undefined;
  };

  let model = flags.model;
  if (model === undefined) {
    try {
      model = await defaultModelOf(io.fetch, base, flags.apiKey, signal);
    } catch (err) {
      return stopped() ?? report(output, flags, err);
    }
  }

  const startedAt = io.now();
  const renderer = output.json
    ? createJsonRenderer(output)
    : createHumanRenderer(output, { now: () => io.now(), startedAt }, flags.model === undefined ? { defaultModel: model } : {});
  let done = false;
  let upstreamFailed = false;
  // Whether anything in the staged dialect came back: a server that never sends one is not the gateway.
  let staged = false;

  renderer.start();
  const client = createStagedClient({ baseUrl: base, fetch: io.fetch, ...(flags.apiKey && { apiKey: flags.apiKey }) });
  let requestId: string | undefined;
  let resumable = false;
  try {
    const onOpen = (info: { requestId: string | undefined; resumable: boolean }) => {
      requestId = info.requestId;
      resumable = info.resumable;
    };
    for await (const parsed of client.messages(buildBody(flags, model) as Parameters<typeof client.messages>[0], { signal, onOpen })) {
      if (parsed.kind === "malformed") {
        output.err(`${output.errStyle.yellow(`warning: ignored a malformed ${parsed.name} event (${parsed.reason})`)}\n`);
        continue;
      }
      if (parsed.kind === "unknown") {
        // Unnamed messages are OpenAI chat chunks: an upstream (e.g. the mock) answered, not the
        // gateway, whose events always have names. Leaving the loop closes the connection.
        if (!staged && parsed.name === "message")
          throw new NotGatewayError(base, "it answered with plain OpenAI chat chunks, not staged events (is it the upstream?)");
        // Other unknown events come from a newer gateway: skipping them keeps this client useful.
        continue;
      }
      staged = true;
      if (parsed.event.event === "output.done") done = true;
      if (parsed.event.event === "error" && parsed.event.data.stage === "upstream") upstreamFailed = true;
      renderer.event(parsed.event, parsed.raw);
    }
  } catch (err) {
    renderer.finish();
    if (io.signal?.aborted || timeout.aborted) {
      // A resumable stream outlives its connection for a while: say explicitly that it is over.
      if (requestId && resumable) await client.cancel(requestId, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    }
    return stopped() ?? report(output, flags, err);
  }
  renderer.finish();

  if (done) return ExitCode.ok;
  if (!staged) {
    output.fail(`${base} sent no staged events — ${URL_HINT}`, { kind: "incomplete" });
    return ExitCode.failure;
  }
  // An upstream error event was already printed; otherwise say why nothing more will come.
  if (!upstreamFailed) {
    output.fail("the stream ended before output.done: the answer is incomplete", { kind: "incomplete" });
  }
  return ExitCode.failure;
}
