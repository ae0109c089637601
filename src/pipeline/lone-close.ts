import type { CapabilityMode } from "../config/index.js";
import type { DeltaInput, ParsedPart, ReasoningSeparator } from "../reasoning/index.js";

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
  return capability === "auto" ? new LoneCloseWatch(separator, onSeen) : separator;
}

/** A class, not an object of closures: one prototype for every open stream's watch. */
class LoneCloseWatch implements ReasoningSeparator {
  // Decided at reasoning-end: plain when no reasoning came before it (no tags, no reasoning field).
  private plain = false;
  private sawReasoning = false;
  private tail = "";
  private seen = false;

  constructor(
    private readonly separator: ReasoningSeparator,
    private readonly onSeen: () => void,
  ) {}

  push(delta: DeltaInput): ParsedPart[] {
    return this.look(this.separator.push(delta));
  }

  end(): ParsedPart[] {
    return this.look(this.separator.end());
  }

  private look(parts: ParsedPart[]): ParsedPart[] {
    if (this.seen) return parts;
    for (const p of parts) {
      if (p.type === "reasoning") this.sawReasoning = true;
      else if (p.type === "reasoning-end") this.plain = !this.sawReasoning;
      else if (this.plain && p.type === "answer") {
        const text = this.tail + p.text;
        if (LONE_CLOSE.test(text)) {
          this.seen = true;
          this.onSeen();
          break;
        }
        this.tail = text.slice(-TAIL);
      }
    }
    return parts;
  }
}
