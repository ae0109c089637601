import { z } from "zod";
import type { StagedEvent, StagedEventName } from "../src/events/index.js";

/*
 * The gateway's stream is an edge: its events are checked here once, so the renderers can trust
 * their types. The checks are strict where the renderer depends on a field (texts, stage) and
 * forgiving where a missing detail should not cost the user their answer (timings, usage, route).
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
  })
  .catch({ prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 0 });

const route = z
  .looseObject({ provider: z.string(), strategy: z.string(), reason: z.string(), attempts: z.number() })
  .optional()
  .catch(undefined);

const usage = z
  .looseObject({
    prompt_tokens: z.number().optional(),
    completion_tokens: z.number().optional(),
    total_tokens: z.number().optional(),
  })
  .optional()
  .catch(undefined);

type DataOf<K extends StagedEventName> = Extract<StagedEvent, { event: K }>["data"];

const schemas: { [K in StagedEventName]: z.ZodType<DataOf<K>> } = {
  "summary.prompt": z.looseObject({
    request_id: requestId,
    text: z.string(),
    source: z.enum(["model", "fallback"]).catch("model"),
  }),
  "summary.reasoning": z.looseObject({
    request_id: requestId,
    text: z.string(),
    source: z.enum(["model", "fallback", "empty"]).catch("model"),
  }),
  "output.delta": z.looseObject({ request_id: requestId, text: z.string() }),
  "output.done": z.looseObject({
    request_id: requestId,
    finish_reason: z.string().nullable().catch(null),
    usage,
    timings,
    route,
  }),
  error: z.looseObject({
    request_id: requestId,
    stage: z.enum(["prompt_summary", "reasoning_summary", "upstream"]),
    message: z.string().catch("(no message)"),
    code: z.string().catch("unknown"),
    retryable: z.boolean().catch(false),
  }),
};

function isEventName(name: string): name is StagedEventName {
  return Object.hasOwn(schemas, name);
}

/** What {@link parseStagedEvent} makes of one SSE message. */
export type ParsedEvent =
  | { kind: "event"; event: StagedEvent; raw: unknown }
  | { kind: "unknown"; name: string }
  | { kind: "malformed"; name: string; reason: string };

/**
 * Turn one SSE message into a staged event. Unknown event names are reported, not fatal, so an
 * older client keeps working against a newer gateway.
 */
export function parseStagedEvent(name: string | undefined, data: string): ParsedEvent {
  const eventName = name ?? "message";
  if (!isEventName(eventName)) return { kind: "unknown", name: eventName };
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { kind: "malformed", name: eventName, reason: "data is not JSON" };
  }
  const parsed = schemas[eventName].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "data";
    return { kind: "malformed", name: eventName, reason: `${where}: ${issue?.message ?? "invalid"}` };
  }
  // The cast only re-attaches the name the schema was picked by; the data was checked above.
  return { kind: "event", event: { event: eventName, data: parsed.data } as StagedEvent, raw };
}
