/**
 * What a native call answers, before any API's wire format: reasoning pieces (only when the client
 * asked for reasoning, as the real APIs behave), answer pieces or a tool call, the finish and the
 * token counts. Each emulated API encodes the same plan in its own events.
 */
import { estimateTokens } from "../openai.js";
import { promptText, type Message } from "../requests.js";
import { cutEvery } from "../scenarios.js";
import type { MockOptions } from "../types.js";

/** `thinking` (default): reasoning when asked for, then the answer; `plain`: the answer only; `tools`: a tool call. */
export type NativeScenario = "thinking" | "plain" | "tools";
export const NATIVE_SCENARIOS: readonly NativeScenario[] = ["thinking", "plain", "tools"];

/** A native request, read into what the mock needs whatever API it came in on. */
export interface NativeRequest {
  model: string;
  stream: boolean;
  messages: Message[];
  /** Names of the tools the client declared (the `tools` scenario calls the first). */
  toolNames: string[];
  /** Did the client ask for reasoning (Anthropic `thinking`, Gemini `includeThoughts`, Ollama `think`)? */
  thinking: boolean;
}

export type Step =
  | { type: "reasoning"; text: string; delayMs: number }
  | { type: "answer"; text: string; delayMs: number }
  | { type: "tool"; name: string; args: Record<string, unknown> };

export interface NativePlan {
  steps: Step[];
  finish: "stop" | "tool_calls";
  usage: { input: number; output: number; reasoning: number };
}

/** The arguments the `tools` scenario always calls with, so tests can compare them. */
export const MOCK_TOOL_ARGS = { city: "Paris", unit: "celsius" } as const;

/** The `x-mock-scenario` header, else a model ending `-plain` / `-tools`, else `thinking`. */
export function resolveNativeScenario(header: string | undefined, model: string): NativeScenario {
  const h = header?.trim().toLowerCase();
  if (h === "thinking" || h === "plain" || h === "tools") return h;
  const m = model.toLowerCase();
  if (m.endsWith("-plain")) return "plain";
  if (m.endsWith("-tools")) return "tools";
  return "thinking";
}

export function planFor(req: NativeRequest, scenario: NativeScenario, opts: MockOptions): NativePlan {
  const steps: Step[] = [];
  const reasoning = req.thinking && scenario !== "plain" ? opts.reasoningText : "";
  for (const text of reasoning === "" ? [] : cutEvery(reasoning, opts.chunkChars))
    steps.push({ type: "reasoning", text, delayMs: opts.latency.reasoningChunkMs });
  let output: number;
  if (scenario === "tools") {
    steps.push({ type: "tool", name: req.toolNames[0] ?? "get_weather", args: { ...MOCK_TOOL_ARGS } });
    output = estimateTokens(JSON.stringify(MOCK_TOOL_ARGS));
  } else {
    for (const text of cutEvery(opts.answerText, opts.chunkChars)) steps.push({ type: "answer", text, delayMs: opts.latency.answerChunkMs });
    output = estimateTokens(opts.answerText);
  }
  const reasoningTokens = estimateTokens(reasoning);
  return {
    steps,
    finish: scenario === "tools" ? "tool_calls" : "stop",
    usage: { input: estimateTokens(promptText(req.messages)), output: output + reasoningTokens, reasoning: reasoningTokens },
  };
}

/** A summary's answer as a plan: the text, nothing else. */
export function answerPlan(req: NativeRequest, text: string): NativePlan {
  return {
    steps: [{ type: "answer", text, delayMs: 0 }],
    finish: "stop",
    usage: { input: estimateTokens(promptText(req.messages)), output: estimateTokens(text), reasoning: 0 },
  };
}

/** All text of one step type, joined (for non-streamed answers). */
export function joined(plan: NativePlan, type: "reasoning" | "answer"): string {
  return plan.steps.map((s) => (s.type === type ? s.text : "")).join("");
}
