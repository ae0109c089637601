/**
 * The reasoning formats, as data: each family's markers (docs/reasoning-formats.md has the sources)
 * and, per capability mode, which of them count at the start of a stream. The separator is one
 * state machine over this table; adding a family is adding rows here, never a branch there.
 */
import type { CapabilityMode } from "../config/index.js";
import { markerSet, NO_MARKERS, type Family, type Marker, type MarkerSet, type Wrapper } from "./markers.js";

function wrapper(open: string, ...closes: string[]): Wrapper {
  return { open, closing: markerSet(closes.map((text): Marker => ({ role: "unwrap", text }))) };
}

/** The gateway's own wrapper, which the tag instruction asks for. */
const FINAL = wrapper("<final>", "</final>");
/** Hunyuan A13B: `<answer>\n…\n</answer>`; the line break before the close belongs to the marker. */
const ANSWER = wrapper("<answer>", "\r\n</answer>", "\n</answer>", "</answer>");
/** ERNIE 4.5 thinking (and Granite 3.3): `<response>\n…\n</response>`. */
const RESPONSE = wrapper("<response>", "\r\n</response>", "\n</response>", "</response>");
/** Cohere Command A: every answer is wrapped in these special tokens. */
const COHERE_RESPONSE = wrapper("<|START_RESPONSE|>", "<|END_RESPONSE|>");

interface FamilySpec {
  name: string;
  opens: readonly string[];
  closes: readonly string[];
  /** Markers that end the reasoning and open a wrapper (`<final>` for models that forget `</analysis>`). */
  closeWraps?: readonly Wrapper[];
  /** Wrappers the answer may open right after the close. */
  wrappers?: readonly Wrapper[];
  /** Markers dropped from inside the reasoning. */
  inner?: readonly string[];
}

interface FamilyDef extends Family {
  opens: readonly string[];
}

function family(spec: FamilySpec): FamilyDef {
  const inside: Marker[] = [
    ...spec.closes.map((text): Marker => ({ role: "close", text })),
    ...(spec.closeWraps ?? []).map((w): Marker => ({ role: "close-wrap", text: w.open, wrapper: w })),
    ...(spec.inner ?? []).map((text): Marker => ({ role: "inner", text })),
  ];
  const after = (spec.wrappers ?? []).map((w): Marker => ({ role: "wrap", text: w.open, wrapper: w }));
  return { name: spec.name, opens: spec.opens, inside: markerSet(inside), after: markerSet(after) };
}

/** Wrappers a `<think>`-style answer may come in. */
const THINK_WRAPPERS = [FINAL, ANSWER, RESPONSE];

/** `<analysis>`/`<think>` (the gateway's instruction, DeepSeek, Qwen3, GLM, MiniMax, Hunyuan, …). */
const TAGGED = family({ name: "tagged", opens: ["<analysis>", "<think>"], closes: ["</analysis>", "</think>"], closeWraps: [FINAL], wrappers: THINK_WRAPPERS });
/** R1 style: the chat template opened `<think>`, so the reasoning only ever closes. */
const R1 = family({ name: "r1", opens: [], closes: ["</think>"], wrappers: THINK_WRAPPERS });
const MISTRAL = family({ name: "mistral", opens: ["[THINK]"], closes: ["[/THINK]"] });
const SEED = family({ name: "seed", opens: ["<seed:think>"], closes: ["</seed:think>"], inner: ["<seed:cot_budget_reflect>", "</seed:cot_budget_reflect>"] });
const KIMI = family({ name: "kimi", opens: ["◁think▷", "<think>"], closes: ["◁/think▷", "</think>"] });
const COHERE = family({ name: "cohere", opens: ["<|START_THINKING|>"], closes: ["<|END_THINKING|>"], wrappers: [COHERE_RESPONSE] });
const GRANITE = family({
  name: "granite",
  opens: ["Here is my thought process:", "Here's my thought process:"],
  closes: ["Here is my response:", "Here's my response:"],
});
const GEMMA4 = family({ name: "gemma4", opens: ["<|channel>thought"], closes: ["<channel|>"] });

/** Harmony (gpt-oss) headers: either hands the rest of the stream to the harmony parser. */
const HARMONY_STARTS = ["<|channel|>", "<|start|>"];
/** Closes before any reasoning: the reasoning was empty (R1 models that skip it). */
const TAGGED_START_CLOSES = ["</think>", "</analysis>"];

/** What one capability mode recognises. */
export interface ModeSpec {
  /** Markers that decide the style at the start of the content. */
  start: MarkerSet;
  /** The family whose wrappers may follow a close found at the start. */
  startFamily: Family;
  /** Untagged content is reasoning of this family until its close (R1 style); else it is the answer. */
  implicit: Family | undefined;
  /** Reasoning fields count as reasoning (all but `tags`, which trusts only its tags). */
  fields: boolean;
  /** Content is never parsed: it is the answer, verbatim (`fields`). */
  verbatim: boolean;
  /** The gateway asks for `<analysis>…</analysis><final>…</final>` with a system instruction. */
  instruct: boolean;
}

function starts(families: readonly FamilyDef[], opts: { closes?: readonly string[]; wrappers?: readonly Wrapper[]; harmony?: boolean } = {}): MarkerSet {
  return markerSet([
    ...families.flatMap((f) => f.opens.map((text): Marker => ({ role: "open", text, family: f }))),
    ...(opts.closes ?? []).map((text): Marker => ({ role: "start-close", text })),
    ...(opts.wrappers ?? []).map((w): Marker => ({ role: "wrap", text: w.open, wrapper: w })),
    ...(opts.harmony ? HARMONY_STARTS : []).map((text): Marker => ({ role: "harmony", text })),
  ]);
}

function mode(start: MarkerSet, more: Partial<ModeSpec> = {}): ModeSpec {
  return { start, startFamily: TAGGED, implicit: undefined, fields: true, verbatim: false, instruct: false, ...more };
}

const TAGGED_START = starts([TAGGED], { closes: TAGGED_START_CLOSES, wrappers: [FINAL] });

/**
 * Every mode. Granite's phrases are left out of `auto`: an ordinary answer may well begin "Here is
 * my thought process:", and reading it as reasoning would swallow the whole answer.
 */
export const MODES: Record<CapabilityMode, ModeSpec> = {
  auto: mode(starts([TAGGED, MISTRAL, SEED, KIMI, COHERE, GEMMA4], { closes: TAGGED_START_CLOSES, wrappers: [FINAL, COHERE_RESPONSE], harmony: true }), {
    instruct: true,
  }),
  tags: mode(TAGGED_START, { fields: false, instruct: true }),
  think: mode(TAGGED_START, { implicit: R1 }),
  fields: mode(NO_MARKERS, { verbatim: true }),
  "think-open": mode(TAGGED_START),
  // Resolved per request (pipeline/request.ts): `think` when thinking was asked for, else this.
  "deepseek-v3": mode(TAGGED_START),
  hunyuan: mode(starts([TAGGED], { closes: TAGGED_START_CLOSES, wrappers: [FINAL, ANSWER] })),
  harmony: mode(starts([], { harmony: true })),
  // Magistral 2506 still thought in `<think>`; 2509 and later use the [THINK] tokens.
  mistral: mode(starts([MISTRAL, TAGGED], { closes: TAGGED_START_CLOSES })),
  seed: mode(starts([SEED]), { startFamily: SEED, implicit: SEED }),
  kimi: mode(starts([KIMI]), { startFamily: KIMI, implicit: KIMI }),
  cohere: mode(starts([COHERE], { wrappers: [COHERE_RESPONSE] }), { startFamily: COHERE }),
  granite: mode(starts([GRANITE]), { startFamily: GRANITE }),
  gemma4: mode(starts([GEMMA4]), { startFamily: GEMMA4 }),
};

const ALL_MARKERS = [
  ...[TAGGED, MISTRAL, SEED, KIMI, COHERE, GRANITE, GEMMA4].flatMap((f) => [
    ...f.opens,
    ...f.inside.markers.map((m) => m.text),
    ...f.after.markers.map((m) => m.text),
  ]),
  ...[FINAL, ANSWER, RESPONSE, COHERE_RESPONSE].flatMap((w) => w.closing.markers.map((m) => m.text)),
  ...HARMONY_STARTS,
];

/**
 * The longest text ever held back while waiting to see whether it is a marker: one character short
 * of the longest marker (a complete marker is consumed at once).
 */
export const MAX_PARTIAL_TAG = Math.max(...ALL_MARKERS.map((t) => t.length)) - 1;
