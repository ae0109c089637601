/*
 * Which model the playground offers first. The point of the page is watching a model reason, so
 * the default is a model whose name says it reasons; a plain chat model would show an empty
 * reasoning section — the weakest first impression.
 */

// Earlier patterns are stronger hints. Names are matched case-insensitively as words or parts.
const REASONING_HINTS: readonly RegExp[] = [
  /reason/i,
  /think/i,
  /(^|[^a-z0-9])r1($|[^a-z0-9])/i,
  /qwq/i,
  /gpt-oss/i,
  /(^|[^a-z0-9])o[134]($|[^a-z0-9])/i,
  /qwen3/i,
  /magistral/i,
  /deepseek/i,
];

// Names that say "not a reasoner": offered last.
const PLAIN_HINTS: readonly RegExp[] = [/plain/i, /embed/i, /instruct/i, /summar/i, /(^|[^a-z0-9])(tiny|small)($|[^a-z0-9])/i];

function rank(id: string): number {
  const hint = REASONING_HINTS.findIndex((re) => re.test(id));
  if (PLAIN_HINTS.some((re) => re.test(id))) return REASONING_HINTS.length + 1;
  return hint === -1 ? REASONING_HINTS.length : hint;
}

/** The models in the order the picker lists them: likely reasoners first, plain ones last; stable otherwise. */
export function rankModels(ids: readonly string[]): string[] {
  return ids
    .map((id, i) => ({ id, i, r: rank(id) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.id);
}

/** The model to select: the one the user picked last time if it is still offered, else the best ranked. */
export function pickModel(ids: readonly string[], remembered: string | null): string | undefined {
  if (remembered !== null && ids.includes(remembered)) return remembered;
  return rankModels(ids)[0];
}
