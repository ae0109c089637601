import type { ToolCallDelta, Usage } from "../../events/index.js";
import type { UpstreamDelta } from "../chunks.js";
import { UpstreamError } from "../errors.js";

/** One delta carrying only the fields given: native events each set one or two of them. */
export function delta(fields: {
  content?: string | undefined;
  reasoning?: string | undefined;
  toolCalls?: ToolCallDelta[] | undefined;
  finishReason?: string | undefined;
  usage?: Usage | undefined;
  encryptedReasoning?: number | undefined;
}): UpstreamDelta {
  return {
    content: fields.content === "" ? undefined : fields.content,
    reasoning: fields.reasoning === "" ? undefined : fields.reasoning,
    toolCalls: fields.toolCalls && fields.toolCalls.length > 0 ? fields.toolCalls : undefined,
    finishReason: fields.finishReason,
    usage: fields.usage,
    ...(fields.encryptedReasoning !== undefined && fields.encryptedReasoning > 0 && { encryptedReasoning: fields.encryptedReasoning }),
  };
}

/** Does this delta carry anything at all? Empty ones are not worth yielding. */
export function hasAny(d: UpstreamDelta): boolean {
  return (
    d.content !== undefined ||
    d.reasoning !== undefined ||
    d.toolCalls !== undefined ||
    d.finishReason !== undefined ||
    d.usage !== undefined ||
    d.encryptedReasoning !== undefined
  );
}

/** A frame's JSON, or the stream ends with `upstream_bad_chunk`. */
export function parseFrame(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new UpstreamError({
      kind: "stream",
      message: `the upstream sent a chunk that is not JSON: ${data.slice(0, 120)}`,
      code: "upstream_bad_chunk",
      retryable: false,
    });
  }
}

/** A stream that stopped before the API's own end marker: cut, not complete. */
export function truncated(what: string): UpstreamError {
  return new UpstreamError({ kind: "stream", code: "upstream_truncated", message: `the upstream stream ended before ${what}`, retryable: false });
}

/** A native number field, or undefined. */
export const count = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
