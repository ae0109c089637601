// Seeded generators of hostile request bodies for the fuzz test: valid bodies with fields of the
// wrong type or size, broken JSON, structural bombs, odd content types and headers.

export interface FuzzCase {
  /** What kind of body this is, for the failure message. */
  kind: string;
  body: string | Uint8Array;
  contentType: string | undefined;
  headers: Record<string, string>;
}

type Rnd = () => number;

const pick = <T>(r: Rnd, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rnd, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

// Characters that have broken parsers, databases and label encoders before.
const ATOMS = [
  "a",
  "Z",
  "0",
  " ",
  "\n",
  "\r",
  "\t",
  "\u0000",
  "\u0001",
  "\u001f",
  "\u007f",
  '"',
  "\\",
  "/",
  "<",
  ">",
  "&",
  "'",
  "{",
  "}",
  "[",
  "]",
  "é",
  "ß",
  "中",
  "\u2028",
  "\u2029",
  "\u0085",
  "\ufeff",
  "\uffff",
  "\ud800",
  "\udc00",
  "🌈",
  "%",
  "$",
  "\u202e",
];

export function randomString(r: Rnd, max = 40): string {
  const n = int(r, 0, max);
  let s = "";
  for (let i = 0; i < n; i++) s += pick(r, ATOMS);
  return s;
}

export function randomJson(r: Rnd, depth = 0): unknown {
  const roll = r();
  if (depth > 6 || roll < 0.45) {
    return pick(r, [
      () => randomString(r),
      () => int(r, -1e6, 1e6),
      () => r() * 1e308 * (r() < 0.5 ? -1 : 1),
      () => r() < 0.5,
      () => null,
      () => 1e-320,
      () => Number.MAX_SAFE_INTEGER + 2,
    ])();
  }
  if (roll < 0.75) return Array.from({ length: int(r, 0, 5) }, () => randomJson(r, depth + 1));
  return Object.fromEntries(
    Array.from({ length: int(r, 0, 5) }, () => [pick(r, ["__proto__", "constructor", "model", "x", randomString(r, 8)]), randomJson(r, depth + 1)]),
  );
}

const MODELS = ["mock-tagged", "mock-plain", "mock-reasoning_content", "mock-think"] as const;
const ROLES = ["system", "developer", "user", "assistant", "tool", "function", "robot", "", "USER"] as const;

function randomMessage(r: Rnd): unknown {
  if (r() < 0.1) return randomJson(r);
  const m: Record<string, unknown> = { role: r() < 0.8 ? pick(r, ["user", "system", "assistant"]) : pick(r, ROLES) };
  const c = r();
  if (c < 0.6) m.content = r() < 0.8 ? `Question ${randomString(r, 30)}?` : randomString(r, 200);
  else if (c < 0.75) m.content = [{ type: "text", text: randomString(r) }, randomJson(r)];
  else if (c < 0.85) m.content = null;
  else if (c < 0.95) m.content = randomJson(r);
  if (r() < 0.2) m[randomString(r, 6)] = randomJson(r);
  return m;
}

/** A chat body, each field right most of the time and wrong (type, range, size) some of the time. */
function mutatedBody(r: Rnd): Record<string, unknown> {
  const b: Record<string, unknown> = {};
  const sometimes = (p: number, f: () => unknown, key: string): void => {
    if (r() < p) b[key] = f();
  };
  sometimes(
    0.95,
    () => (r() < 0.85 ? pick(r, MODELS) : pick(r, [() => randomString(r, 300), () => randomJson(r), () => "m".repeat(int(r, 250, 400)), () => " "])()),
    "model",
  );
  sometimes(0.95, () => (r() < 0.85 ? Array.from({ length: int(r, 1, 4) }, () => randomMessage(r)) : randomJson(r)), "messages");
  sometimes(0.6, () => (r() < 0.85 ? r() < 0.5 : randomJson(r)), "stream");
  sometimes(0.3, () => (r() < 0.7 ? r() * 2 : randomJson(r)), "temperature");
  sometimes(0.2, () => (r() < 0.7 ? r() : randomJson(r)), "top_p");
  sometimes(0.2, () => (r() < 0.7 ? int(r, 1, 4096) : randomJson(r)), "max_tokens");
  sometimes(0.15, () => (r() < 0.6 ? ["\n\n", "END"].slice(0, int(r, 0, 5)) : randomJson(r)), "stop");
  sometimes(0.2, () => (r() < 0.7 ? pick(r, MODELS) : pick(r, [() => randomString(r, 300), () => randomJson(r)])()), "summary_model");
  sometimes(0.3, () => randomJson(r), randomString(r, 10) || "extra");
  sometimes(0.1, () => ({ category: pick(r, ["routine", "complex", randomString(r)]) }), "metadata");
  return b;
}

const bodyText = (v: unknown): string => JSON.stringify(v) ?? "null";

/** One hostile request; `i` makes the mix deterministic per seed. */
export function fuzzCase(r: Rnd): FuzzCase {
  const headers: Record<string, string> = {};
  if (r() < 0.1)
    headers["x-request-id"] =
      pick(r, ["fuzz-id", "x".repeat(int(r, 100, 200)), "spaces in id", "ünïcödé", randomString(r, 20).replace(/[^\x21-\x7e]/g, "")]) || "z";
  if (r() < 0.05) headers["x-task-category"] = pick(r, ["routine", "complex", "c".repeat(int(r, 30, 90))]);
  const contentType =
    r() < 0.9
      ? pick(r, ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"])
      : pick(r, ["text/plain", "application/x-www-form-urlencoded", undefined, "application/json; charset=iso-8859-1", "application/xml"]);
  const roll = r();
  let kind: string;
  let body: string | Uint8Array;
  if (roll < 0.55) {
    kind = "mutated";
    body = bodyText(mutatedBody(r));
  } else if (roll < 0.7) {
    kind = "truncated";
    const text = bodyText(mutatedBody(r));
    body = text.slice(0, int(r, 0, text.length - 1));
  } else if (roll < 0.78) {
    kind = "not-an-object";
    body = bodyText(pick(r, [() => randomJson(r), () => [mutatedBody(r)], () => randomString(r)])());
  } else if (roll < 0.84) {
    kind = "garbage";
    body = r() < 0.5 ? randomString(r, 200) : new Uint8Array(Array.from({ length: int(r, 0, 200) }, () => int(r, 0, 255)));
  } else if (roll < 0.9) {
    kind = "deep";
    const depth = int(r, 50, 5_000);
    body = `{"model":"mock-tagged","messages":[{"role":"user","content":"hi"}],"x":${"[".repeat(depth)}${"]".repeat(depth)}}`;
  } else if (roll < 0.94) {
    kind = "wide";
    body = bodyText({ ...mutatedBody(r), x: Array.from({ length: int(r, 1_000, 120_000) }, () => 0) });
  } else if (roll < 0.97) {
    kind = "duplicate-keys";
    body = `{"model":"mock-tagged","model":${bodyText(randomJson(r))},"messages":[{"role":"user","content":"hi"}],"stream":false,"stream":${bodyText(randomJson(r))}}`;
  } else {
    kind = "empty";
    body = pick(r, ["", " ", "\n", "{}", "[]", "null"]);
  }
  return { kind, body, contentType, headers };
}
