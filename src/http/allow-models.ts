import { ApiError } from "./errors.js";

/** `403 model_not_allowed` for a model outside ALLOW_MODELS, before any upstream call. */
export function checkAllowed(models: (string | undefined)[], allowModels: string[] | undefined): void {
  if (!allowModels) return;
  for (const model of models) {
    if (model !== undefined && !allowModels.includes(model)) {
      throw new ApiError(403, `model "${model}" is not allowed on this gateway (ALLOW_MODELS)`, "model_not_allowed", "permission_error");
    }
  }
}

/** `403 raw_reasoning_forbidden` for `include_reasoning: true` where ALLOW_RAW_REASONING=false. */
export function checkRawReasoning(includeReasoning: boolean | undefined, allowed: boolean): void {
  if (includeReasoning !== true || allowed) return;
  throw new ApiError(
    403,
    "include_reasoning: this gateway does not hand out the model's own reasoning (ALLOW_RAW_REASONING=false); leave include_reasoning out to get the summaries",
    "raw_reasoning_forbidden",
    "permission_error",
  );
}
