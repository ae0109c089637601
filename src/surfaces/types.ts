import type { StagedEvent } from "../events/index.js";
import type { Failure } from "../pipeline/index.js";

export type { Failure };

/**
 * One streamed response in one surface's dialect: the only place a surface turns the event
 * union into text. Stateful per request (OpenAI chunks carry an id and a first role chunk).
 */
export interface StreamEncoder {
  /** The frames for one event; "" when the surface has nothing to say about it. */
  event(e: StagedEvent): string;
  /** The frame that reports a failure after the stream began. */
  failure(f: Failure): string;
  /** Frames after the last event of a successful stream (e.g. `data: [DONE]`). */
  end(): string;
  /** A frame that keeps proxies from cutting an idle connection; clients ignore it. */
  readonly keepalive: string;
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
