import type { SseOut, StagedEvent } from "../events/index.js";
import type { Failure } from "../pipeline/index.js";

export type { Failure };

/**
 * One streamed response in one surface's dialect: the only place a surface turns the event
 * union into SSE messages (never text: `formatSse` alone writes that). Stateful per request
 * (OpenAI chunks carry an id and a first role chunk; Responses events a sequence number).
 */
export interface StreamEncoder {
  /** The messages for one event, handed to `out`; none when the surface has nothing to say. */
  event(e: StagedEvent, out: SseOut): void;
  /** The messages that report a failure after the stream began. */
  failure(f: Failure, out: SseOut): void;
  /** Messages after the last event of a successful stream (e.g. `data: [DONE]`). */
  end(out: SseOut): void;
}

/** A request field a surface could not translate: the route answers 400 with this message. */
export class SurfaceInputError extends Error {
  override readonly name = "SurfaceInputError";
  constructor(
    message: string,
    readonly code = "invalid_request",
  ) {
    super(message);
  }
}
