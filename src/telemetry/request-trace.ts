import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapPropagator,
  type Tracer,
} from "@opentelemetry/api";
import type { RequestOutcome, StagedEvent } from "../events/index.js";
import {
  ATTR,
  callFactAttributes,
  inputMessages,
  MAX_CAPTURED_CHARS,
  providerName,
  requestParameters,
  serverAttributes,
  stageAttributes,
  textMessages,
} from "./attributes.js";
import type { CallFacts, CallParent, CallTarget, CallTrace, RequestStart, RequestTrace, RequestTracing, StageFacts, StageName, TracedError } from "./types.js";

export interface RequestTracingOptions {
  tracer: Tracer;
  /** W3C trace context: reads the caller's `traceparent`, writes ours on every upstream call. */
  propagator: TextMapPropagator;
  /** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: prompt, summaries and answer on the spans. */
  captureContent: boolean;
}

/**
 * Request tracing over an OpenTelemetry tracer. Contexts are passed explicitly, span to child,
 * rather than through a global context manager: the pipeline's calls are plain promises, and
 * the trace of each is known where it is made.
 */
export function createRequestTracing(o: RequestTracingOptions): RequestTracing {
  return { request: (start) => new OtelRequestTrace(start, o) };
}

class OtelRequestTrace implements RequestTrace {
  private readonly span: Span;
  private readonly ctx: Context;
  private ended = false;
  /** HTTP attempts made for the answer (first tries, retries, failovers). */
  private attempts = 0;
  /** The provider last called for the answer, and what its finished call reported. */
  private lastTarget: CallTarget | undefined;
  private served: CallFacts | undefined;
  private finishReason: string | null | undefined;
  /** The answer as sent, kept only with content capture on (and cut at MAX_CAPTURED_CHARS). */
  private answer = "";

  constructor(
    start: RequestStart,
    private readonly o: RequestTracingOptions,
  ) {
    const incoming = start.trace;
    const parent =
      incoming?.traceparent === undefined
        ? ROOT_CONTEXT
        : o.propagator.extract(ROOT_CONTEXT, { traceparent: incoming.traceparent, tracestate: incoming.tracestate }, defaultTextMapGetter);
    const attributes: Attributes = {
      [ATTR.operation]: "chat",
      [ATTR.requestModel]: start.model,
      [ATTR.requestId]: start.requestId,
      [ATTR.stream]: start.stream,
      [ATTR.summaryModel]: start.summaryModel,
      [ATTR.httpMethod]: "POST",
      ...requestParameters(start.passthrough),
    };
    if (start.clientRequestId !== undefined) attributes[ATTR.clientRequestId] = start.clientRequestId;
    if (incoming?.route !== undefined) attributes[ATTR.httpRoute] = incoming.route;
    this.span = o.tracer.startSpan(`chat ${start.model}`, { kind: SpanKind.SERVER, attributes }, parent);
    this.ctx = trace.setSpan(parent, this.span);
    if (o.captureContent && this.span.isRecording()) this.span.setAttribute(ATTR.inputMessages, inputMessages(start.messages));
  }

  call(target: CallTarget): CallTrace {
    this.lastTarget = target;
    return new OtelCall(this.o, this.ctx, target, {
      attempted: () => this.attempts++,
      done: (facts) => (this.served = facts),
    });
  }

  stage<T>(name: StageName, work: (stage: CallParent) => T, describe?: (result: Awaited<T>) => StageFacts): T {
    const span = this.o.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes: { [ATTR.stage]: name } }, this.ctx);
    const ctx = trace.setSpan(this.ctx, span);
    const finish = (r: Awaited<T>): void => {
      const facts = describeSafely(describe, r);
      if (facts) {
        span.setAttributes(stageAttributes(facts, this.o.captureContent));
        if (facts.error) setError(span, facts.error.code);
      }
      span.end();
    };
    const failed = (e: unknown): void => {
      setError(span, codeOf(e));
      span.end();
    };
    let result: T;
    try {
      result = work({ call: (target) => new OtelCall(this.o, ctx, target) });
    } catch (e) {
      failed(e);
      throw e;
    }
    if (result instanceof Promise) (result as Promise<Awaited<T>>).then(finish, failed).catch(() => undefined);
    else finish(result as Awaited<T>);
    return result;
  }

  note(e: StagedEvent): void {
    if (e.event === "output.done") {
      this.finishReason = e.data.finish_reason;
      if (e.data.usage) this.span.setAttributes(callFactAttributes({ usage: e.data.usage }));
      if (e.data.route) this.span.setAttribute(ATTR.gatewayProvider, e.data.route.provider);
    } else if (e.event === "output.delta" && this.o.captureContent && this.answer.length < MAX_CAPTURED_CHARS) {
      this.answer += e.data.text;
    }
  }

  end(outcome: RequestOutcome, httpStatus: number, error?: TracedError): void {
    if (this.ended) return;
    this.ended = true;
    const span = this.span;
    span.setAttributes({ [ATTR.httpStatus]: httpStatus, [ATTR.outcome]: outcome, [ATTR.attempts]: this.attempts });
    const target = this.lastTarget;
    if (target) span.setAttributes({ [ATTR.provider]: providerName(target.provider.target.kind), [ATTR.gatewayProvider]: target.provider.id });
    if (this.served?.responseModel !== undefined) span.setAttribute(ATTR.responseModel, this.served.responseModel);
    if (typeof this.finishReason === "string") span.setAttribute(ATTR.finishReasons, [this.finishReason]);
    if (this.o.captureContent && outcome === "ok") span.setAttribute(ATTR.outputMessages, textMessages("assistant", this.answer, this.finishReason));
    if (outcome !== "ok") setError(span, error?.code ?? outcome);
    span.end();
  }
}

/** Hooks a call of the answer reports to its request. */
interface CallHooks {
  attempted(): void;
  done(facts: CallFacts): void;
}

/** One call to one provider; each HTTP attempt of it is a CLIENT span named `chat {model}`. */
class OtelCall implements CallTrace {
  /** The attempt in flight, or the answered one whose body is still being read. */
  private open: Span | undefined;

  constructor(
    private readonly o: RequestTracingOptions,
    private readonly parent: Context,
    private readonly target: CallTarget,
    private readonly hooks?: CallHooks,
  ) {}

  attempt(n: number): Record<string, string> {
    this.open?.end();
    const { provider, upstreamModel } = this.target;
    const span = this.o.tracer.startSpan(
      `chat ${upstreamModel}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.operation]: "chat",
          [ATTR.provider]: providerName(provider.target.kind),
          [ATTR.requestModel]: upstreamModel,
          [ATTR.gatewayProvider]: provider.id,
          // The retry number: 0 is the first try of this provider.
          [ATTR.retry]: n - 1,
          ...serverAttributes(provider.target.baseUrl),
        },
      },
      this.parent,
    );
    this.open = span;
    this.hooks?.attempted();
    const headers: Record<string, string> = {};
    this.o.propagator.inject(trace.setSpan(this.parent, span), headers, defaultTextMapSetter);
    return headers;
  }

  answered(status: number | undefined, error?: TracedError): void {
    const span = this.open;
    if (!span) return;
    if (status !== undefined) span.setAttribute(ATTR.httpStatus, status);
    if (!error) return;
    setError(span, error.code);
    span.end();
    this.open = undefined;
  }

  done(facts: CallFacts): void {
    this.hooks?.done(facts);
    const span = this.open;
    if (!span) return;
    span.setAttributes(callFactAttributes(facts));
    span.end();
    this.open = undefined;
  }

  failed(error: TracedError): void {
    const span = this.open;
    if (!span) return;
    setError(span, error.code);
    span.end();
    this.open = undefined;
  }
}

/**
 * A failure, as the conventions record one: `error.type` and status ERROR, described by its code
 * alone — an upstream's error message may quote the request, and no text goes out uncaptured.
 */
function setError(span: Span, code: string): void {
  span.setAttribute(ATTR.errorType, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/** A stage's facts; a describe that throws costs its span the facts, never the request its answer. */
function describeSafely<R>(describe: ((r: R) => StageFacts) | undefined, r: R): StageFacts | undefined {
  try {
    return describe?.(r);
  } catch {
    return undefined;
  }
}

/** The error's own code when it has one (UpstreamError, RequestEnded), else its class name. */
function codeOf(e: unknown): string {
  if (typeof e === "object" && e !== null && "code" in e && typeof e.code === "string") return e.code;
  return e instanceof Error ? e.name : "_OTHER";
}
