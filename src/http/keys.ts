import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** A key as the gateway keeps it: a name and the SHA-256 of the secret, never the secret. */
export interface ApiKey {
  name: string;
  sha256: Buffer;
  /** Requests per minute; 0 = unlimited; undefined = the KEY_RPM default. */
  rpm: number | undefined;
  maxConcurrent: number | undefined;
}

const keysFileSchema = z.object({
  keys: z
    .array(
      z.strictObject({
        name: z.string().min(1).regex(/^[\w.@-]+$/, "must be letters, digits, _ . @ -"),
        sha256: z.string().regex(/^[0-9a-f]{64}$/i, "must be 64 hex characters (sha256 of the key)"),
        rpm: z.number().int().min(0).optional(),
        max_concurrent: z.number().int().min(0).optional(),
      }),
    )
    .min(1, "must list at least one key"),
});

export function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Keys from GATEWAY_API_KEYS, named key-1, key-2… (the secret itself is never shown). */
export function keysFromList(list: string[]): ApiKey[] {
  return list.map((k, i) => ({ name: `key-${i + 1}`, sha256: sha256(k), rpm: undefined, maxConcurrent: undefined }));
}

/**
 * Read GATEWAY_KEYS_FILE: `keys: [{ name, sha256, rpm?, max_concurrent? }]` in YAML or JSON.
 * Problems name the file and the entry. Generate a hash with `printf %s KEY | sha256sum`.
 */
export function loadKeysFile(file: string): ApiKey[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read keys file: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const parsed = keysFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${file}: invalid keys file:\n${parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(top level)"}: ${i.message}`).join("\n")}`);
  }
  return parsed.data.keys.map((k) => ({ name: k.name, sha256: Buffer.from(k.sha256, "hex"), rpm: k.rpm, maxConcurrent: k.max_concurrent }));
}

/**
 * Find the key a client presented. Digests are compared in constant time, and every key is
 * compared whether or not an earlier one matched, so timing says nothing about the keys.
 */
export function matchKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const digest = sha256(presented);
  let found: ApiKey | undefined;
  for (const k of keys) if (timingSafeEqual(k.sha256, digest) && !found) found = k;
  return found;
}

/** Constant-time equality of two secrets of any length (compares their digests). */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}
