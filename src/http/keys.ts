import { createHash, timingSafeEqual } from "node:crypto";
import type { ApiKey } from "../config/index.js";

/** Keys themselves are read by src/config (GATEWAY_KEYS_FILE); this file matches what clients present. */
export type { ApiKey };

export function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Keys from GATEWAY_API_KEYS, named key-1, key-2… (the secret itself is never shown). */
export function keysFromList(list: string[]): ApiKey[] {
  return list.map((k, i) => ({ name: `key-${i + 1}`, sha256: sha256(k), rpm: undefined, maxConcurrent: undefined }));
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
