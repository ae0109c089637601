import { ApiError } from "./errors.js";

/** The request body as JSON; a clear 400 when it is empty or not JSON. */
export async function readBody(raw: Request): Promise<unknown> {
  const text = await raw.text();
  if (text.trim() === "") throw new ApiError(400, "request body is empty; expected a JSON object", "invalid_json");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, "request body is not valid JSON", "invalid_json");
  }
}

/** `403 model_not_allowed` for a model outside ALLOW_MODELS, before any upstream call. */
export function checkAllowed(models: (string | undefined)[], allowModels: string[] | undefined): void {
  if (!allowModels) return;
  for (const model of models) {
    if (model !== undefined && !allowModels.includes(model)) {
      throw new ApiError(403, `model "${model}" is not allowed on this gateway (ALLOW_MODELS)`, "model_not_allowed", "permission_error");
    }
  }
}
