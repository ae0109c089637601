import type { Context } from "hono";
import { ServerResponse } from "node:http";
import type { CallLog } from "../calls.js";
import type { FailCounter } from "../faults.js";
import { hostileResponse } from "../hostile.js";
import { classifyCall, isRecord, userText } from "../requests.js";
import { scriptedBody } from "../stream.js";
import { summarizePrompt, summarizeReasoning } from "../summarize.js";
import { sleep, untilAborted } from "../timing.js";
import type { MockOptions } from "../types.js";
import type { NativeApi, Refusal } from "./api.js";
import { answerPlan, planFor, resolveNativeScenario } from "./plan.js";

export interface NativeDeps {
  options: () => MockOptions;
  log: CallLog;
  failures: FailCounter;
  lifetime: () => AbortSignal;
}

function outgoingOf(c: Context): ServerResponse | undefined {
  const env: unknown = c.env;
  return isRecord(env) && env.outgoing instanceof ServerResponse ? env.outgoing : undefined;
}

/**
 * One call to an emulated native API, in the order a real server works: read and validate the
 * request (its own 4xx), then the configured faults, latency, and the answer — a summary, a
 * non-streamed body, or a scripted stream with mid-stream faults — every wait listening to the
 * call's abort signal.
 */
export async function handleNative(c: Context, api: NativeApi, deps: NativeDeps): Promise<Response> {
  let parsed: unknown;
  try {
    parsed = await c.req.json();
  } catch {
    parsed = undefined;
  }
  const headers = Object.fromEntries(c.req.raw.headers.entries());
  const info = { headers, path: c.req.path, query: new URL(c.req.url).searchParams };
  const read = api.read(info, parsed);
  const req = read.ok ? read.req : { model: "", stream: false, messages: [], toolNames: [], thinking: false };
  const kind = classifyCall(req.stream, req.messages);
  const body = isRecord(parsed) ? parsed : {};
  const call = deps.log.record({ kind, stream: req.stream, model: req.model, path: c.req.path, body, headers, api: api.name });
  const opts = deps.options();
  const signal = AbortSignal.any([c.req.raw.signal, deps.lifetime()]);
  signal.addEventListener("abort", () => deps.log.finish(call, "aborted"), { once: true });

  const fail = (r: Refusal, retryAfterSeconds?: number): Response => {
    deps.log.setStatus(call, r.status);
    deps.log.finish(call, "failed");
    const e = api.error(r.status, r.message, retryAfterSeconds);
    return new Response(JSON.stringify(e.body), { status: r.status, headers: { "content-type": "application/json", ...e.headers } });
  };
  const gone = (): Response => fail({ status: 503, message: "mock upstream call was aborted" });

  if (!read.ok) return fail(read.refusal);
  const decided = deps.failures.decide(kind, opts.faults);
  if (decided !== undefined) {
    if (!(await sleep(opts.latency.headersMs, signal))) return gone();
    const retryAfter = decided.headers["retry-after"];
    return fail({ status: decided.status, message: decided.body.error.message }, retryAfter === undefined ? undefined : Number(retryAfter));
  }
  const stall = opts.faults.stallSummaries;
  if (kind !== "chat" && stall !== undefined && (stall === "both" || (stall === "prompt") === (kind === "prompt_summary"))) {
    await untilAborted(signal);
    return gone();
  }
  const delay =
    kind === "prompt_summary" ? opts.latency.promptSummaryMs : kind === "reasoning_summary" ? opts.latency.reasoningSummaryMs : opts.latency.headersMs;
  if (!(await sleep(delay, signal))) return gone();

  const id = `${api.name}-mock-${call.id}`;
  const ok = (response: Response, finished = true): Response => {
    deps.log.setStatus(call, response.status);
    if (finished) deps.log.finish(call, "completed");
    return response;
  };
  if (kind !== "chat") {
    const text = userText(req.messages);
    const plan = answerPlan(req, kind === "prompt_summary" ? summarizePrompt(text) : summarizeReasoning(text));
    return ok(Response.json(api.body(plan, req, id)));
  }
  const plan = planFor(req, resolveNativeScenario(c.req.header("x-mock-scenario"), req.model), opts);
  if (!req.stream) return ok(Response.json(api.body(plan, req, id)));
  const unstreamed = api.unstreamed?.(info, plan, req, id);
  if (unstreamed) return ok(unstreamed);
  if (opts.faults.hostile !== undefined) {
    deps.log.setStatus(call, 200);
    return hostileResponse(opts.faults.hostile, api.name, api.format, {
      signal,
      onBytes: (n) => deps.log.countBytes(call, n),
      finish: (o) => deps.log.finish(call, o),
    });
  }

  deps.log.setStatus(call, 200);
  const controller = new AbortController();
  const callSignal = AbortSignal.any([signal, controller.signal]);
  callSignal.addEventListener("abort", () => deps.log.finish(call, "aborted"), { once: true });
  const stream = scriptedBody(
    {
      frames: api.frames(plan, req, id, { withoutEnd: opts.faults.omitDone === true }),
      faults: opts.faults,
      format: api.format,
      doneText: "",
      errorFrame: api.errorFrame,
      finishErrorChunk: api.errorFrame.data as Record<string, unknown>,
    },
    {
      signal: callSignal,
      abort: () => controller.abort(),
      onChunk: () => deps.log.countChunk(call),
      finish: (outcome) => deps.log.finish(call, outcome),
      outgoing: outgoingOf(c),
    },
  );
  return new Response(stream, { status: 200, headers: { "content-type": api.contentType, "cache-control": "no-cache", "transfer-encoding": "chunked" } });
}
