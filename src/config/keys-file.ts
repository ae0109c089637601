import { readFileSync } from "node:fs";
import { parseYaml } from "../util/index.js";
import { z } from "zod";

/** A key as the gateway keeps it: a name and the SHA-256 of the secret, never the secret. */
export interface ApiKey {
  name: string;
  sha256: Buffer;
  /** Requests per minute; 0 = unlimited; undefined = the KEY_RPM default. */
  rpm: number | undefined;
  maxConcurrent: number | undefined;
}

/** GATEWAY_KEYS_FILE cannot be read or does not hold a valid key list: start-up stops with this message. */
export class KeysFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
    summary: string,
  ) {
    super(`${file}: ${summary}${problems.length > 0 ? `:\n${problems.map((p) => `  - ${p}`).join("\n")}` : ""}`);
    this.name = "KeysFileError";
  }
}

const keysFileSchema = z.object({
  keys: z
    .array(
      z.strictObject({
        name: z
          .string()
          .min(1)
          .regex(/^[\w.@-]+$/, "must be letters, digits, _ . @ -"),
        sha256: z.string().regex(/^[0-9a-f]{64}$/i, "must be 64 hex characters (sha256 of the key)"),
        rpm: z.number().int().min(0).optional(),
        max_concurrent: z.number().int().min(0).optional(),
      }),
    )
    .min(1, "must list at least one key"),
});

/**
 * Read GATEWAY_KEYS_FILE: `keys: [{ name, sha256, rpm?, max_concurrent? }]` in YAML or JSON.
 * Problems name the file and the entry ({@link KeysFileError}). Generate a hash with
 * `printf %s KEY | sha256sum`.
 */
export function loadKeysFile(file: string): ApiKey[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new KeysFileError(file, [], `cannot read keys file: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const parsed = keysFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new KeysFileError(
      file,
      parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`),
      "invalid keys file",
    );
  }
  return parsed.data.keys.map((k) => ({ name: k.name, sha256: Buffer.from(k.sha256, "hex"), rpm: k.rpm, maxConcurrent: k.max_concurrent }));
}
