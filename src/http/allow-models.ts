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
