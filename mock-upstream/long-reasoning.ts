import type { MockOptions } from "./types.js";

/*
 * A model that thinks for a long time, in paragraphs, the way reasoning models do on a hard
 * question: the scenario for live progress summaries. Deterministic text, paced so the whole
 * reasoning takes `longReasoningSeconds`.
 */

const PARAGRAPHS = [
  "First I need to pin down what is being asked. The question is why the sky looks blue during the day but red at sunset. That is about how sunlight interacts with the atmosphere.",
  "Sunlight is a mix of all visible wavelengths. Air molecules are much smaller than those wavelengths, so Rayleigh scattering applies. Rayleigh scattering goes as the inverse fourth power of the wavelength.",
  "Blue light at about 450 nanometres therefore scatters roughly five times more than red light at 700 nanometres. Scattered blue light reaches the eye from every direction of the sky, so the sky looks blue.",
  "Why not violet, which scatters even more? The sun emits less violet, some is absorbed high in the atmosphere, and the eye is less sensitive to it. The cones respond most to the blue and green mix.",
  "At sunset the light crosses a much longer path through the air. Most of the blue is scattered out of the direct beam before it reaches the observer. What remains in the direct beam is orange and red.",
  "Dust, smoke and water droplets are larger particles that scatter by Mie scattering, which depends less on wavelength. That is why hazy skies look whiter and why volcanic ash makes vivid sunsets.",
  "Let me check the numbers once more. The ratio of (700/450) to the fourth power is about 5.8, which matches the claim of roughly five to six times. The reasoning is consistent.",
  "So the answer has three parts: Rayleigh scattering favours short wavelengths, the eye and the solar spectrum explain blue rather than violet, and the long sunset path removes blue from the direct light.",
];

export const LONG_ANSWER =
  "The sky is blue because air molecules scatter short (blue) wavelengths of sunlight much more than long (red) ones — Rayleigh scattering, about 5–6× stronger for blue. " +
  "Violet scatters even more, but the sun emits less of it, some is absorbed high in the atmosphere, and our eyes are less sensitive to it, so the mix we see is blue. " +
  "At sunset the light crosses far more air, the blue is scattered out of the direct beam, and what reaches you looks orange and red.";

/** `mock-long-think`, `mock-long-reasoning`, …: any model whose name has a `long-` part. */
export function isLongReasoner(model: string): boolean {
  return /(^|-)long-/i.test(model);
}

/** The options for a long reasoner: paragraph text, paced over `longReasoningSeconds`. */
export function longReasoning(opts: MockOptions): MockOptions {
  const reasoningText = PARAGRAPHS.join("\n\n");
  const chunkChars = 24;
  const pieces = Math.ceil(reasoningText.length / chunkChars) + 2;
  const reasoningChunkMs = Math.max(1, Math.round((opts.longReasoningSeconds * 1000) / pieces));
  return {
    ...opts,
    reasoningText,
    answerText: LONG_ANSWER,
    chunkChars,
    latency: { ...opts.latency, reasoningChunkMs, answerChunkMs: Math.min(opts.latency.answerChunkMs, 40) || 15 },
  };
}
