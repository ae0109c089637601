import { checkJsonShape } from "../util/index.js";

/**
 * What a `response_format` schema may be, checked before any upstream call: each is far above
 * what real schemas need (OpenAI's structured outputs allow 10 levels of nesting and 1,000 enum
 * values in all), and far below what stalls a check. `maxExpandedSubschemas` counts subschemas
 * with every `$ref` followed — a 2 KB chain of `anyOf`s of two `$ref`s, 20 deep, is a million of
 * them, and took seconds and 850 MB to check.
 */
export const SCHEMA_LIMITS = {
  /** Characters of the schema's JSON. */
  maxChars: 64 * 1024,
  /** Nesting of the schema's JSON (objects and arrays). */
  maxDepth: 32,
  /** Subschemas with every `$ref` followed (a recursive one once). */
  maxExpandedSubschemas: 20_000,
  /** `$ref`s followed one inside another. */
  maxRefChain: 32,
  /** Values of one `enum`. */
  maxEnumValues: 1_000,
} as const;

/** Keywords whose value is data, not a schema: never walked into. */
const DATA_KEYWORDS = new Set(["enum", "const", "default", "examples", "required", "dependentRequired", "$comment", "title", "description"]);
/** Keywords whose value maps names to schemas: the names are not keywords. */
const MAP_KEYWORDS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"]);

type Json = Record<string, unknown>;

/** Where a `$ref` chain came from: a linked list, so a recursive `$ref` is followed once. */
interface Chain {
  node: Json;
  length: number;
  up: Chain | undefined;
}

/**
 * The first limit the schema breaks, in words naming the limit; undefined when it keeps them all.
 * `json` is the schema's JSON text. Linear in the schema's size, and it stops at the first limit
 * crossed, so a hostile schema costs no more than a legitimate one near the limits.
 */
export function schemaLimitProblem(schema: Json | boolean, json: string): string | undefined {
  const L = SCHEMA_LIMITS;
  if (json.length > L.maxChars) return `is ${json.length} characters of JSON; at most ${L.maxChars} are allowed`;
  if (checkJsonShape(json, { maxDepth: L.maxDepth, maxNodes: Number.MAX_SAFE_INTEGER })) return `nests deeper than ${L.maxDepth} levels`;
  if (typeof schema === "boolean") return undefined;
  const named = namedResources(schema);
  const stack: { node: unknown; path: string; chain: Chain | undefined }[] = [{ node: schema, path: "", chain: undefined }];
  let seen = 0;
  while (stack.length > 0) {
    const { node, path, chain } = stack.pop() as (typeof stack)[number];
    if (!isJson(node)) continue;
    if (++seen > L.maxExpandedSubschemas)
      return `expands to more than ${L.maxExpandedSubschemas} subschemas once its $refs are followed (a $ref used in many places, or $refs to $refs)`;
    for (const [key, value] of Object.entries(node)) {
      const at = `${path}/${key}`;
      if (key === "enum" && Array.isArray(value) && value.length > L.maxEnumValues)
        return `has ${value.length} values in the enum at ${clip(at)}; at most ${L.maxEnumValues} are allowed`;
      if (DATA_KEYWORDS.has(key)) continue;
      if ((key === "$ref" || key === "$dynamicRef") && typeof value === "string") {
        const target = resolve(schema, value, named);
        if (!target || onChain(chain, target)) continue; // unresolvable: Ajv says so; recursive: once
        const length = (chain?.length ?? 0) + 1;
        if (length > L.maxRefChain) return `follows more than ${L.maxRefChain} $refs one inside another (at ${clip(at)})`;
        stack.push({ node: target, path: at, chain: { node: target, length, up: chain } });
      } else if (MAP_KEYWORDS.has(key) && isJson(value)) {
        for (const [name, sub] of Object.entries(value)) stack.push({ node: sub, path: `${at}/${name}`, chain });
      } else if (Array.isArray(value)) {
        value.forEach((sub, i) => stack.push({ node: sub, path: `${at}/${i}`, chain }));
      } else if (isJson(value)) {
        stack.push({ node: value, path: at, chain });
      }
    }
  }
  return undefined;
}

/** `$anchor`/`$dynamicAnchor` names and `$id`s, to resolve `$ref`s that use them. */
function namedResources(root: Json): { anchors: Map<string, Json>; ids: Map<string, Json> } {
  const anchors = new Map<string, Json>();
  const ids = new Map<string, Json>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...(node as unknown[]));
    if (!isJson(node)) continue;
    for (const key of ["$anchor", "$dynamicAnchor"]) if (typeof node[key] === "string" && !anchors.has(node[key])) anchors.set(node[key], node);
    if (typeof node.$id === "string") ids.set(node.$id.replace(/#$/, ""), node);
    for (const [key, value] of Object.entries(node)) if (!DATA_KEYWORDS.has(key)) stack.push(value);
  }
  return { anchors, ids };
}

/**
 * The subschema a `$ref` names, as far as this document can tell: `#`, `#/json/pointer`, `#anchor`,
 * or an `$id` of this document with either. Nested `$id`s that rebase a pointer are not followed
 * (the count is then lower than Ajv's); the time budget stands behind this count anyway.
 */
function resolve(root: Json, ref: string, named: { anchors: Map<string, Json>; ids: Map<string, Json> }): Json | undefined {
  const hash = ref.indexOf("#");
  const base = hash === -1 ? ref : ref.slice(0, hash);
  const fragment = hash === -1 ? "" : ref.slice(hash + 1);
  const resource = base === "" ? root : named.ids.get(base);
  if (!resource) return undefined;
  if (fragment === "") return resource;
  if (!fragment.startsWith("/")) return named.anchors.get(fragment);
  let node: unknown = resource;
  for (const raw of fragment.slice(1).split("/")) {
    let part: string;
    try {
      part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    } catch {
      return undefined;
    }
    if (Array.isArray(node)) node = /^\d+$/.test(part) ? (node as unknown[])[Number(part)] : undefined;
    else if (isJson(node) && Object.hasOwn(node, part)) node = node[part];
    else return undefined;
  }
  return isJson(node) ? node : undefined;
}

function onChain(chain: Chain | undefined, node: Json): boolean {
  for (let c = chain; c; c = c.up) if (c.node === node) return true;
  return false;
}

function isJson(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function clip(path: string): string {
  return path.length <= 120 ? path : `${path.slice(0, 119)}…`;
}

/**
 * Schemas are compiled and answers checked in worker threads, each job within
 * VALIDATION_BUDGET_MS: two workers (a hostile check occupies one, not the event loop), at most
 * 64 checks waiting for them (then `503 validation_busy`), each worker's heap at most 256 MB, and
 * 256 compiled schemas kept per worker (least recently used compiled again).
 */
export const VALIDATOR_SIZING = { workers: 2, queueLimit: 64, heapMb: 256, cacheSize: 256 } as const;

/** The most validator errors reported for one answer: enough to fix it, not a wall of text. */
export const MAX_REPORTED_ERRORS = 10;
/**
 * Deepest answer checked. A response_format answer is data, a few levels deep; a recursive schema
 * walks the answer by recursion, so an answer nested thousands deep would exhaust the stack. A
 * deeper one counts as invalid, like one past the length bound.
 */
export const MAX_ANSWER_DEPTH = 64;
