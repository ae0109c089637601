// A namespace import lets bundlers drop what is unused (`{ z }` drags in every locale: 450 KB vs 85 KB).
import * as z from "zod";
import type { EventData, StagedEvent, StagedEventName } from "../events/index.js";

/*
 * The gateway's stream is an edge for a client: its events are checked here once, so callers can
 * trust their types. The checks are strict where a renderer depends on a field (texts, stage,
 * tool calls) and forgiving where a missing detail should not cost the user their answer
 * (timings, usage, route).
 */

const requestId = z.string().catch("");
const optionalMs = z.number().nullable().catch(null);

const timings = z
  .looseObject({
    prompt_summary: optionalMs,
    reasoning_end: optionalMs,
    reasoning_summary: optionalMs,
    first_output: optionalMs,
    total: z.number().catch(0),
    progress: z.array(z.number()).optional().catch(undefined),
    research: z.number().nullable().optional().catch(undefined),
  })
  .catch({ prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 0 });

const route = z.looseObject({ provider: z.string(), strategy: z.string(), reason: z.string(), attempts: z.number() }).optional().catch(undefined);

const usage = z
  .looseObject({
    prompt_tokens: z.number().optional(),
    completion_tokens: z.number().optional(),
    total_tokens: z.number().optional(),
  })
  .optional()
  .catch(undefined);

const source = z.looseObject({ index: z.number(), title: z.string(), url: z.string(), snippet: z.string() });

const toolCall = z.looseObject({
  index: z.number(),
  id: z.string().optional(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});

const schemas: { [K in StagedEventName]: z.ZodType<EventData<K>> } = {
  "summary.prompt": z.looseObject({
    request_id: requestId,
    text: z.string(),
    source: z.enum(["model", "fallback"]).catch("model"),
  }),
  "research.sources": z.looseObject({ request_id: requestId, query: z.string().catch(""), sources: z.array(source) }),
  "summary.progress": z.looseObject({
    request_id: requestId,
    index: z.number(),
    text: z.string(),
    source: z.enum(["model", "fallback"]).catch("model"),
  }),
  "reasoning.delta": z.looseObject({ request_id: requestId, text: z.string() }),
  "summary.reasoning": z.looseObject({
    request_id: requestId,
    text: z.string(),
    source: z.enum(["model", "fallback", "empty"]).catch("model"),
  }),
  "output.delta": z.looseObject({ request_id: requestId, text: z.string() }),
  "output.tool_calls": z.looseObject({ request_id: requestId, tool_calls: z.array(toolCall) }),
  "output.done": z.looseObject({
    request_id: requestId,
    finish_reason: z.string().nullable().catch(null),
    usage,
    timings,
    route,
    sources: z.array(source).optional().catch(undefined),
    validation: z
      .looseObject({ valid: z.boolean(), attempts: z.number(), escalated: z.boolean(), errors: z.array(z.string()).optional() })
      .optional()
      .catch(undefined),
  }),
  "upstream.retry": z.looseObject({
    request_id: requestId,
    provider: z.string().catch(""),
    attempt: z.number(),
    max_retries: z.number(),
    delay_ms: z.number().catch(0),
    code: z.string().catch("unknown"),
    message: z.string().catch(""),
  }),
  error: z.looseObject({
    request_id: requestId,
    stage: z.enum(["prompt_summary", "reasoning_summary", "upstream", "research", "validation"]),
    message: z.string().catch("(no message)"),
    code: z.string().catch("unknown"),
    retryable: z.boolean().catch(false),
  }),
};

/** Every event name this version of the client understands. */
export const STAGED_EVENT_NAMES = Object.keys(schemas) as StagedEventName[];

export function isStagedEventName(name: string): name is StagedEventName {
  return Object.hasOwn(schemas, name);
}

/** What {@link parseStagedEvent} makes of one SSE message. */
export type ParsedEvent =
  | { kind: "event"; event: StagedEvent; raw: unknown; id: string | undefined }
  | { kind: "unknown"; name: string; id: string | undefined }
  | { kind: "malformed"; name: string; reason: string; id: string | undefined };

/**
 * Turn one SSE message into a staged event. Unknown event names are reported, not fatal, so an
 * older client keeps working against a newer gateway.
 */
export function parseStagedEvent(name: string | undefined, data: string, id?: string): ParsedEvent {
  const eventName = name ?? "message";
  if (!isStagedEventName(eventName)) return { kind: "unknown", name: eventName, id };
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { kind: "malformed", name: eventName, reason: "data is not JSON", id };
  }
  const parsed = schemas[eventName].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "data";
    return { kind: "malformed", name: eventName, reason: `${where}: ${issue?.message ?? "invalid"}`, id };
  }
  // The cast only re-attaches the name the schema was picked by; the data was checked above.
  return { kind: "event", event: { event: eventName, data: parsed.data } as StagedEvent, raw, id };
}
