import { familyContent, familyOfModel, FAMILY_SCENARIOS, type FamilyScenario, type TemplateKwargs } from "./families.js";
import { MOCK_SCENARIOS } from "./types.js";
import type { MockScenario } from "./types.js";

/**
 * Which delta field a piece travels in. `reasoning_details` is OpenRouter's shape (the text in
 * `reasoning` and again in a `reasoning.text` detail); `encrypted` a `reasoning.encrypted` detail alone.
 */
export type DeltaField = "content" | "reasoning_content" | "reasoning" | "reasoning_details" | "encrypted";

/** The OpenAI delta fields for one piece. */
export function deltaFields(piece: Pick<ScriptPiece, "field" | "text">): Record<string, unknown> {
  switch (piece.field) {
    case "reasoning_details":
      return { reasoning: piece.text, reasoning_details: [{ type: "reasoning.text", text: piece.text, format: "unknown", index: 0 }] };
    case "encrypted":
      return { reasoning_details: [{ type: "reasoning.encrypted", data: piece.text, format: "unknown", index: 1 }] };
    default:
      return { [piece.field]: piece.text };
  }
}

/** Opaque data the `reasoning_details` scenario sends as encrypted reasoning; never shown by the gateway. */
export const ENCRYPTED_REASONING = "gAAAAB-mock-encrypted-reasoning";

function isFamily(s: MockScenario): s is FamilyScenario {
  return (FAMILY_SCENARIOS as readonly string[]).includes(s);
}

/** One content chunk of a scripted completion, before it is wrapped in an OpenAI chunk. */
export interface ScriptPiece {
  field: DeltaField;
  text: string;
  /** Decides which latency applies: reasoning chunks and answer chunks are paced separately. */
  phase: "reasoning" | "answer";
}

/** The assistant message a scenario produces, as a non-streamed completion carries it. */
export interface ScriptMessage {
  content: string;
  reasoning_content?: string;
  reasoning?: string;
}

function isScenario(value: string): value is MockScenario {
  return (MOCK_SCENARIOS as readonly string[]).includes(value);
}

/**
 * Pick the scenario for one request: the `x-mock-scenario` header, else the model name
 * (`mock-<scenario>` or anything ending `-<scenario>`, e.g. `deepseek-r1`; else a family's usual
 * name, e.g. `openai/gpt-oss-20b` streams harmony), else the default. An unknown header value is
 * ignored rather than rejected, so a typo degrades to the default.
 */
export function resolveScenario(header: string | undefined, model: string, fallback: MockScenario): MockScenario {
  const fromHeader = header?.trim().toLowerCase();
  if (fromHeader !== undefined && isScenario(fromHeader)) return fromHeader;
  const lower = model.toLowerCase();
  // Longest names first, so `-reasoning_content` is never read as `-reasoning` plus junk.
  for (const scenario of MOCK_SCENARIOS) {
    if (lower === scenario || lower.endsWith(`-${scenario}`)) return scenario;
  }
  return familyOfModel(lower) ?? fallback;
}

/** Cut text every `size` code points (never inside a surrogate pair), ignoring any structure. */
export function cutEvery(text: string, size: number): string[] {
  const chars = Array.from(text);
  const step = Math.max(1, Math.floor(size));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += step) out.push(chars.slice(i, i + step).join(""));
  return out;
}

/** The whole tagged content and where its reasoning text ends (in code points). */
function taggedContent(scenario: "tagged" | "think" | "r1", reasoning: string, answer: string): { content: string; reasoningEnd: number } {
  const prefix = scenario === "tagged" ? "<analysis>" : scenario === "think" ? "<think>" : "";
  const content =
    scenario === "tagged"
      ? `<analysis>${reasoning}</analysis>\n<final>${answer}</final>`
      : scenario === "think"
        ? `<think>${reasoning}</think>\n\n${answer}`
        : `${reasoning}\n</think>\n\n${answer}`;
  return { content, reasoningEnd: Array.from(prefix + reasoning).length };
}

/** The assistant message for a non-streamed completion in `scenario`. */
export function scriptMessage(scenario: MockScenario, reasoning: string, answer: string, kwargs: TemplateKwargs = {}): ScriptMessage {
  if (isFamily(scenario)) {
    const { before, after } = familyContent(scenario, reasoning, answer, kwargs);
    return { content: before + after };
  }
  switch (scenario) {
    case "tagged":
    case "think":
    case "r1":
      return { content: taggedContent(scenario, reasoning, answer).content };
    case "reasoning_content":
      return { content: answer, reasoning_content: reasoning };
    case "reasoning":
    case "reasoning_details":
      return { content: answer, reasoning };
    case "plain":
      return { content: answer };
  }
}

/** Raw content cut every `chunkChars` regardless of markers; a chunk is answer once it starts past `reasoningEnd`. */
function contentPieces(content: string, reasoningEnd: number, chunkChars: number): ScriptPiece[] {
  let offset = 0;
  return cutEvery(content, chunkChars).map((text) => {
    const phase = offset >= reasoningEnd ? "answer" : "reasoning";
    offset += Array.from(text).length;
    return { field: "content", text, phase };
  });
}

/**
 * The content chunks of a streamed completion in `scenario`. For tag scenarios the content is cut
 * every `chunkChars` regardless of tags, so tags really are split across chunks; a chunk counts as
 * answer once it starts past the end of the reasoning text.
 */
export function scriptPieces(scenario: MockScenario, reasoning: string, answer: string, chunkChars: number, kwargs: TemplateKwargs = {}): ScriptPiece[] {
  const answerPieces = (): ScriptPiece[] => cutEvery(answer, chunkChars).map((text) => ({ field: "content", text, phase: "answer" }));
  if (isFamily(scenario)) {
    const { before, after } = familyContent(scenario, reasoning, answer, kwargs);
    return contentPieces(before + after, Array.from(before).length, chunkChars);
  }
  switch (scenario) {
    case "tagged":
    case "think":
    case "r1": {
      const { content, reasoningEnd } = taggedContent(scenario, reasoning, answer);
      return contentPieces(content, reasoningEnd, chunkChars);
    }
    case "reasoning_content":
    case "reasoning":
    case "reasoning_details": {
      const field: DeltaField = scenario;
      const thinking = cutEvery(reasoning, chunkChars).map((text): ScriptPiece => ({ field, text, phase: "reasoning" }));
      // OpenRouter passes encrypted reasoning along (Anthropic's redacted thinking, OpenAI's encrypted content).
      const encrypted: ScriptPiece[] = scenario === "reasoning_details" ? [{ field: "encrypted", text: ENCRYPTED_REASONING, phase: "reasoning" }] : [];
      return [...thinking, ...encrypted, ...answerPieces()];
    }
    case "plain":
      return answerPieces();
  }
}
