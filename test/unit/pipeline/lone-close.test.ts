import { describe, expect, it, vi } from "vitest";
import { watchLoneClose } from "../../../src/pipeline/lone-close.js";
import { createReasoningSeparator } from "../../../src/reasoning/index.js";
import { reasoningNotices } from "../../../src/observability/index.js";

/** Feed `pieces` as content (or reasoning fields) through a watched `auto` separator; how often did it notice? */
function run(pieces: { content?: string; reasoning?: string }[], mode: "auto" | "think" = "auto") {
  const onSeen = vi.fn();
  const separator = watchLoneClose(mode, createReasoningSeparator({ mode, useReasoningFields: true }), onSeen);
  const answer: string[] = [];
  const take = (parts: ReturnType<typeof separator.end>) => parts.forEach((p) => p.type === "answer" && answer.push(p.text));
  for (const p of pieces) take(separator.push(p));
  take(separator.end());
  return { seen: onSeen.mock.calls.length, answer: answer.join("") };
}

const R1 = "The user asks about the sky. Rayleigh scattering.</think>\n\nThe sky is blue because of Rayleigh scattering.";

describe("watchLoneClose", () => {
  it("notices a plain answer with a lone </think>, once, wherever the chunks split it; the answer is untouched", () => {
    for (let cut = 1; cut < R1.length; cut++) {
      const r = run([{ content: R1.slice(0, cut) }, { content: R1.slice(cut) }]);
      expect(r.seen, `cut at ${cut}`).toBe(1);
      expect(r.answer).toBe(R1);
    }
    expect(run([...R1].map((c) => ({ content: c }))).seen).toBe(1);
    expect(run([{ content: "Reasoning.</THINK>Answer. And again </think>." }]).seen).toBe(1);
  });

  it("says nothing when the reasoning was separated (tags or a reasoning field), or the answer has no </think>", () => {
    expect(run([{ content: "<think>Reasoning.</think>Answer with a quoted </think> tag." }]).seen).toBe(0);
    expect(run([{ reasoning: "Reasoning." }, { content: "Answer </think> quoted." }]).seen).toBe(0);
    expect(run([{ content: "A plain answer about <think> tags and </thin k>." }]).seen).toBe(0);
  });

  it("leaves any other mode's separator as it is: think mode already reads R1 reasoning", () => {
    const separator = createReasoningSeparator({ mode: "think", useReasoningFields: true });
    expect(watchLoneClose("think", separator, () => undefined)).toBe(separator);
    expect(run([{ content: R1 }], "think")).toEqual({ seen: 0, answer: "The sky is blue because of Rayleigh scattering." });
  });
});

describe("reasoningNotices", () => {
  it("warns once per model, names the setting, and stops remembering models past its cap", () => {
    const warn = vi.fn();
    const n = reasoningNotices({ warn }, 2);
    const seen = (model: string) => n.unrecognisedReasoning?.({ id: "r", model, upstreamModel: `up-${model}`, provider: "p" });
    seen("a");
    seen("a");
    seen("b");
    seen("c");
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0]?.[0]).toMatchObject({ model: "a", upstream_model: "up-a", provider: "p", setting: "MODEL_CAPABILITIES=a=think" });
  });
});
