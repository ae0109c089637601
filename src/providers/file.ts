import { readFileSync } from "node:fs";
import { parseYaml } from "../util/index.js";
import { providersFileSchema, type ProvidersFile } from "./schema.js";

export class ProvidersFileError extends Error {
  override readonly name = "ProvidersFileError";
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid providers file:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/**
 * Read and validate a providers file (YAML or JSON — YAML is a superset). Every problem is
 * reported with the file, the path inside it and what is wrong; a provider's `api_key_env` that
 * names an unset variable is a problem too, since calls to it could only fail.
 */
export function loadProvidersFile(file: string, env: Record<string, string | undefined>): ProvidersFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ProvidersFileError(file, [`cannot read: ${e instanceof Error ? e.message : String(e)}`]);
  }
  return parseProvidersFile(text, file, env);
}

export function parseProvidersFile(text: string, file: string, env: Record<string, string | undefined>): ProvidersFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ProvidersFileError(file, [`not valid YAML/JSON: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`]);
  }
  const parsed = providersFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ProvidersFileError(
      file,
      parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`),
    );
  }
  const missing = parsed.data.providers.flatMap((p, i) =>
    p.api_key_env && !env[p.api_key_env]?.trim() ? [`providers[${i}].api_key_env: environment variable ${p.api_key_env} is not set`] : [],
  );
  if (missing.length > 0) throw new ProvidersFileError(file, missing);
  return parsed.data;
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
}
