import type { CompletionIdentity } from "./openai.js";
import { chunk } from "./openai.js";
import type { Frame } from "./stream.js";

import type { ScriptedChunk } from "./types.js";

export type { ScriptedChunk };

export function scriptedFrames(who: CompletionIdentity, script: readonly ScriptedChunk[]): Frame[] {
  return script.map((s) => ({ data: chunk(who, s.delta, s.finish_reason ?? null), delayMs: s.delayMs ?? 0 }));
}

/** The message a non-streamed call would return for the same script: the deltas joined. */
export function scriptedMessage(script: readonly ScriptedChunk[]): Record<string, unknown> {
  let content = "";
  let reasoning: string | undefined;
  const calls = new Map<number, { id: string; type: "function"; function: { name: string; arguments: string } }>();
  for (const { delta } of script) {
    if (typeof delta.content === "string") content += delta.content;
    const r = typeof delta.reasoning_content === "string" ? delta.reasoning_content : typeof delta.reasoning === "string" ? delta.reasoning : undefined;
    if (r !== undefined) reasoning = (reasoning ?? "") + r;
    if (Array.isArray(delta.tool_calls)) {
      for (const raw of delta.tool_calls as { index?: number; id?: string; function?: { name?: string; arguments?: string } }[]) {
        const index = raw.index ?? 0;
        const call = calls.get(index) ?? { id: "", type: "function" as const, function: { name: "", arguments: "" } };
        if (raw.id) call.id = raw.id;
        if (raw.function?.name) call.function.name = raw.function.name;
        if (raw.function?.arguments) call.function.arguments += raw.function.arguments;
        calls.set(index, call);
      }
    }
  }
  return {
    content: calls.size > 0 && content === "" ? null : content,
    ...(reasoning !== undefined && { reasoning_content: reasoning }),
    ...(calls.size > 0 && { tool_calls: [...calls.values()] }),
  };
}
