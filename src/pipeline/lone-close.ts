import type { CapabilityMode } from "../config/index.js";
import type { ParsedPart, ReasoningSeparator } from "../reasoning/index.js";

/** ASCII case only, as the separator matches tags (a non-`u` `i` never folds non-ASCII into ASCII). */
const LONE_CLOSE = /<\/think>/i;
/** What of an answer piece is kept to find a `</think>` split across pieces. */
const TAIL = "</think>".length - 1;

/**
 * In `auto` mode a stream that starts untagged is a plain answer, streamed live and verbatim, and a
 * later `</think>` is just text (SPEC §3). That is exactly what an R1-style model the gateway does
 * not recognise looks like: its reasoning, a lone `</think>`, then the answer — all shown to the
 * user. The choice stands (text already sent cannot be taken back, and a plain answer may quote the
 * tag), but an operator must learn of it: this wraps the separator and calls `onSeen` once per
 * stream when a plain answer contains a lone `</think>`. Other modes get the separator untouched.
 */
export function watchLoneClose(capability: CapabilityMode, separator: ReasoningSeparator, onSeen: () => void): ReasoningSeparator {
  if (capability !== "auto") return separator;
  // Decided at reasoning-end: plain when no reasoning came before it (no tags, no reasoning field).
  let plain = false;
  let sawReasoning = false;
  let tail = "";
  let seen = false;
  const look = (parts: ParsedPart[]): ParsedPart[] => {
    if (seen) return parts;
    for (const p of parts) {
      if (p.type === "reasoning") sawReasoning = true;
      else if (p.type === "reasoning-end") plain = !sawReasoning;
      else if (plain && p.type === "answer") {
        const text = tail + p.text;
        if (LONE_CLOSE.test(text)) {
          seen = true;
          onSeen();
          break;
        }
        tail = text.slice(-TAIL);
      }
    }
    return parts;
  };
  return { push: (delta) => look(separator.push(delta)), end: () => look(separator.end()) };
}
