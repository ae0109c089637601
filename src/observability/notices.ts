import type { Logger } from "pino";
import type { RequestObserver } from "../events/index.js";

/** Models remembered as already reported; past this many, the counter still counts but the log stays quiet. */
export const MAX_NOTICED_MODELS = 1000;

/**
 * The log side of `unrecognisedReasoning`: one warning per model (per process), naming the setting
 * that fixes it, so an operator learns that a model's reasoning reaches its users without a line
 * per request. The count per stream is `gateway_unrecognised_reasoning_total`.
 */
export function reasoningNotices(logger: Pick<Logger, "warn">, maxModels = MAX_NOTICED_MODELS): Pick<RequestObserver, "unrecognisedReasoning"> {
  const noticed = new Set<string>();
  return {
    unrecognisedReasoning({ id, model, upstreamModel, provider }) {
      if (noticed.has(model) || noticed.size >= maxModels) return;
      noticed.add(model);
      logger.warn(
        { request_id: id, model, upstream_model: upstreamModel, provider, setting: `MODEL_CAPABILITIES=${model}=think` },
        "a model in auto mode answered with a lone </think>: its reasoning went to the user as answer text; if it reasons before </think> (R1 style), set its capability to think",
      );
    },
  };
}
