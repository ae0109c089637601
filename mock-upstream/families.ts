/**
 * Open model families as a server without a reasoning parser streams them: each family's raw markers
 * in `delta.content`, chosen by the family's usual model name (or `mock-<family>`). Thinking switches
 * in `chat_template_kwargs` change what the model writes, as the real chat templates do: Qwen3 with
 * `enable_thinking: false`, DeepSeek V3.1 and Granite 3.2 without `thinking: true` answer plainly;
 * Seed-OSS with `thinking_budget: 0` writes its zero-budget note.
 */

/** Families whose raw format the mock can stream. */
export const FAMILY_SCENARIOS = [
  "harmony",
  "mistral",
  "seed",
  "kimi",
  "cohere",
  "granite",
  "hunyuan",
  "ernie",
  "glm",
  "qwen3",
  "deepseek-v31",
  "minimax",
  "gemma4",
] as const;
export type FamilyScenario = (typeof FAMILY_SCENARIOS)[number];

/** The usual model names of each family (Hugging Face ids, Ollama tags, hosted names), first match wins. */
const BY_MODEL: [RegExp, FamilyScenario | "r1"][] = [
  [/gpt-oss/, "harmony"],
  [/magistral/, "mistral"],
  [/seed-oss/, "seed"],
  [/kimi.*thinking|kimi-dev/, "kimi"],
  [/command-a/, "cohere"],
  [/granite-?3\.2/, "granite"],
  [/hunyuan/, "hunyuan"],
  [/ernie.*thinking/, "ernie"],
  [/glm-4\.[56]/, "glm"],
  [/qwen3.*thinking|qwq|deepseek-r1/, "r1"],
  [/qwen3/, "qwen3"],
  [/deepseek.*v3\.[12]/, "deepseek-v31"],
  [/minimax-m[12]/, "minimax"],
  [/gemma-?4/, "gemma4"],
];

/** The family a model name belongs to, if the mock knows it. */
export function familyOfModel(model: string): FamilyScenario | "r1" | undefined {
  const lower = model.toLowerCase();
  return BY_MODEL.find(([re]) => re.test(lower))?.[1];
}

/** The request fields a chat template reads. */
export type TemplateKwargs = Record<string, unknown>;

/**
 * The raw content split where the answer's part begins: `before` is reasoning and markers (paced as
 * reasoning), `after` the answer with whatever markers surround it.
 */
export function familyContent(family: FamilyScenario, reasoning: string, answer: string, kwargs: TemplateKwargs = {}): { before: string; after: string } {
  switch (family) {
    case "harmony":
      return { before: `<|channel|>analysis<|message|>${reasoning}<|end|>`, after: `<|start|>assistant<|channel|>final<|message|>${answer}` };
    case "mistral":
      return { before: `[THINK]${reasoning}[/THINK]`, after: answer };
    case "seed":
      return kwargs.thinking_budget === 0
        ? {
            before:
              "<seed:think><seed:cot_budget_reflect>The current thinking budget is 0, so I will directly start answering the question.</seed:cot_budget_reflect>\n</seed:think>",
            after: answer,
          }
        : {
            before: `<seed:think>${reasoning}\n<seed:cot_budget_reflect>I have used 129 tokens, and there are 383 tokens remaining for use.</seed:cot_budget_reflect>\n</seed:think>`,
            after: answer,
          };
    case "kimi":
      return { before: `◁think▷${reasoning}◁/think▷`, after: answer };
    case "cohere":
      return { before: `<|START_THINKING|>${reasoning}<|END_THINKING|>\n`, after: `<|START_RESPONSE|>${answer}<|END_RESPONSE|>` };
    case "granite":
      return kwargs.thinking === true
        ? { before: `Here is my thought process:\n${reasoning}\n\n`, after: `Here is my response:\n${answer}` }
        : { before: "", after: answer };
    case "hunyuan":
      return { before: `<think>\n${reasoning}\n</think>\n`, after: `<answer>\n${answer}\n</answer>` };
    case "ernie":
      return { before: `${reasoning}\n</think>\n\n`, after: `<response>\n${answer}\n</response>\n` };
    case "glm":
      return { before: `<think>${reasoning}</think>\n`, after: answer };
    case "qwen3":
      return kwargs.enable_thinking === false ? { before: "", after: answer } : { before: `<think>\n${reasoning}\n</think>\n\n`, after: answer };
    case "deepseek-v31":
      return kwargs.thinking === true || kwargs.enable_thinking === true ? { before: `${reasoning}</think>`, after: answer } : { before: "", after: answer };
    case "minimax":
      return { before: `${reasoning}\n</think>\n\n`, after: answer };
    case "gemma4":
      return { before: `<|channel>thought\n${reasoning}<channel|>`, after: answer };
  }
}
