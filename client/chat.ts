import { ExitCode, type ExitCodeValue } from "./exit.js";
import type { ResolvedIO } from "./io.js";
import type { ChatFlags } from "./options.js";
import type { Output } from "./output.js";
import { createHumanRenderer, createJsonRenderer } from "./render.js";
import { createStagedClient, describeNetworkError, GatewayHttpError, GatewayStreamError, GatewayUnreachableError } from "../src/sdk/index.js";

/** The request body the flags describe; the gateway's own extension is `summary_model`. */
export function buildBody(flags: ChatFlags): Record<string, unknown> {
  const messages: { role: string; content: string }[] = [];
  if (flags.system !== undefined) messages.push({ role: "system", content: flags.system });
  messages.push({ role: "user", content: flags.prompt });
  const body: Record<string, unknown> = { model: flags.model, messages, stream: true };
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
  return undefined;
}

/**
 * Send one staged request and render it. Returns the exit code; every failure has been printed
 * by then, as one clear line and never a stack trace.
 */
export async function runChat(io: ResolvedIO, output: Output, flags: ChatFlags): Promise<ExitCodeValue> {
  const timeout = AbortSignal.timeout(flags.timeout * 1000);
  // One signal for the whole request: Ctrl-C and --timeout both close the connection.
  const signal = io.signal ? AbortSignal.any([io.signal, timeout]) : timeout;
  const startedAt = io.now();
  const renderer = output.json
    ? createJsonRenderer(output)
    : createHumanRenderer(output, { now: () => io.now(), startedAt });
  let done = false;
  let upstreamFailed = false;

  renderer.start();
  const client = createStagedClient({ baseUrl: baseUrlOf(flags.url), fetch: io.fetch, ...(flags.apiKey && { apiKey: flags.apiKey }) });
  let requestId: string | undefined;
  let resumable = false;
  try {
    const onOpen = (info: { requestId: string | undefined; resumable: boolean }) => {
      requestId = info.requestId;
      resumable = info.resumable;
    };
    for await (const parsed of client.messages(buildBody(flags) as Parameters<typeof client.messages>[0], { signal, onOpen })) {
      if (parsed.kind === "malformed") {
        output.err(`${output.errStyle.yellow(`warning: ignored a malformed ${parsed.name} event (${parsed.reason})`)}\n`);
        continue;
      }
      // Unknown events come from a newer gateway: skipping them keeps this client useful.
      if (parsed.kind === "unknown") continue;
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
    if (io.signal?.aborted) {
      output.fail("interrupted: the request was cancelled", { kind: "interrupted" });
      return ExitCode.interrupted;
    }
    if (timeout.aborted) {
      output.fail(`no complete answer within ${flags.timeout} s (--timeout); the request was cancelled`, {
        kind: "timeout",
      });
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
  renderer.finish();

  if (done) return ExitCode.ok;
  // An upstream error event was already printed; otherwise say why nothing more will come.
  if (!upstreamFailed) {
    output.fail("the stream ended before output.done: the answer is incomplete", { kind: "incomplete" });
  }
  return ExitCode.failure;
}
