// A bounded, seeded fuzz of the chat route against a real gateway and two mock providers. The
// invariant: every answer is a 4xx JSON error whose message names the problem, or a normal staged
// stream / completion; never a 5xx, never a hang; and the providers stay healthy throughout.
import { describe, expect, it } from "vitest";
import { createParser } from "eventsource-parser";
import { useProviderStack } from "../helpers/providers.js";
import { mulberry32 } from "../helpers/random.js";
import { postStaged, stagedOrder } from "../helpers/sse.js";
import { fuzzCase, type FuzzCase } from "./fuzz-bodies.js";
import { okBody } from "./helpers.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_010);
// 1,000 cases by default keep the suite quick and still reach every kind of body many times over
// (asserted below); FUZZ_CASES=N (and FUZZ_SEED) run a deeper or different fuzz.
const CASES = Number(process.env.FUZZ_CASES ?? 1_000);
const PARALLEL = 12;
const PER_REQUEST_MS = 20_000;
const ORDER = ["summary.prompt", "summary.reasoning", "output.delta", "output.done"];

const stack = useProviderStack();
const providersYaml = `
providers:
  - { id: alpha, base_url: "{{url:alpha}}", priority: 1, models: { "*": "*" } }
  - { id: beta, base_url: "{{url:beta}}", priority: 2, models: { "*": "*" } }
routes:
  - { model: "*", strategy: round_robin, providers: [alpha, beta] }
health: { consecutive_failures: 3, min_requests: 5, failure_rate: 0.5 }
`;

/** What each refusal code's message must say: the problem, by field, header or limit. */
const MESSAGE_BY_CODE: Record<string, RegExp> = {
  invalid_json: /^request body (is empty; expected a JSON object|is not valid JSON|is not valid UTF-8)$/,
  invalid_request: /^(request body must be a JSON object|(body|[a-z_]+(\[\d+\])?(\.[a-z_]+|\[\d+\])*): .+)$/,
  json_too_deep: /^request body is nested deeper than MAX_JSON_DEPTH \(64 levels\)$/,
  json_too_large: /^request body has more than MAX_JSON_NODES \(100000\) values$/,
  unsupported_media_type: /^Content-Type must be application\/json \(UTF-8\); (got ".*"|none was sent)$/,
  invalid_header: /^header x-task-category: must be at most 64 characters \(got \d+\)$/,
  body_too_large: /^request body is larger than MAX_BODY_BYTES/,
};

type Verdict = { ok: true; what: string } | { ok: false; why: string };

async function judge(url: string, c: FuzzCase): Promise<Verdict> {
  let res: Response;
  try {
    res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...(c.contentType !== undefined && { "content-type": c.contentType }), ...c.headers },
      body: c.body,
      signal: AbortSignal.timeout(PER_REQUEST_MS),
    });
  } catch (e) {
    return { ok: false, why: `no answer (${e instanceof Error ? e.message : String(e)})` };
  }
  const type = res.headers.get("content-type") ?? "";
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    return { ok: false, why: `body never finished (${e instanceof Error ? e.message : String(e)})` };
  }
  if (res.status >= 400 && res.status < 500) {
    if (!type.startsWith("application/json")) return { ok: false, why: `${res.status} with content-type ${type}` };
    const err = (JSON.parse(text) as { error?: { message?: unknown; code?: unknown; type?: unknown } }).error;
    if (typeof err?.message !== "string" || typeof err.code !== "string" || typeof err.type !== "string")
      return { ok: false, why: `${res.status} without the error shape: ${text.slice(0, 200)}` };
    const expected = MESSAGE_BY_CODE[err.code];
    if (!expected) return { ok: false, why: `${res.status} with an unexpected code ${err.code}: ${err.message}` };
    if (!expected.test(err.message)) return { ok: false, why: `${res.status} ${err.code} message does not name the problem: ${err.message.slice(0, 200)}` };
    return { ok: true, what: `${res.status} ${err.code}` };
  }
  if (res.status !== 200) return { ok: false, why: `status ${res.status}: ${text.slice(0, 200)}` };
  if (type.startsWith("text/event-stream")) {
    const names: string[] = [];
    createParser({ onEvent: (e) => names.push(e.event ?? "message") }).feed(text);
    const staged = names.filter((n) => n !== "error");
    const order = staged.filter((n, i) => n !== "output.delta" || staged[i - 1] !== "output.delta");
    if (names.includes("error") || order.join(" ") !== ORDER.join(" ")) return { ok: false, why: `stream events ${names.join(",")}` };
    return { ok: true, what: "200 stream" };
  }
  const body = JSON.parse(text) as { object?: unknown; choices?: Array<{ message?: { content?: unknown } }> };
  if (body.object !== "chat.completion" || typeof body.choices?.[0]?.message?.content !== "string")
    return { ok: false, why: `200 JSON that is not a completion: ${text.slice(0, 200)}` };
  return { ok: true, what: "200 completion" };
}

describe("seeded fuzz of the chat route", () => {
  it(`${CASES} hostile bodies: every answer a 4xx naming the problem or a normal answer; providers stay active`, { timeout: 120_000 }, async () => {
    const { gateway, mocks } = await stack({ alpha: {}, beta: {} }, providersYaml);
    const rnd = mulberry32(SEED);
    const cases = Array.from({ length: CASES }, () => fuzzCase(rnd));
    const failures: string[] = [];
    const tally = new Map<string, number>();
    const kinds = new Map<string, number>();
    for (const c of cases) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < cases.length) {
          const i = next++;
          const c = cases[i]!;
          const v = await judge(gateway.url, c);
          if (v.ok) tally.set(v.what, (tally.get(v.what) ?? 0) + 1);
          else if (failures.length < 20) failures.push(`#${i} (${c.kind}, ${c.contentType ?? "no type"}): ${v.why}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    // Printed so a run shows what the mix exercised and how long it took.
    console.info(`fuzz seed ${SEED}: ${CASES} cases in ${seconds.toFixed(1)} s`, Object.fromEntries([...tally].sort()));
    expect(failures, `seed ${SEED}`).toEqual([]);
    // Every kind of hostile body was sent, several times each.
    expect([...kinds.keys()].sort()).toEqual(["deep", "duplicate-keys", "empty", "garbage", "mutated", "not-an-object", "truncated", "wide"]);
    expect(Math.min(...kinds.values()), JSON.stringify(Object.fromEntries(kinds))).toBeGreaterThanOrEqual(10);
    // Both kinds of answer were exercised, not only refusals.
    expect((tally.get("200 stream") ?? 0) + (tally.get("200 completion") ?? 0)).toBeGreaterThan(CASES / 10);

    const providers = (await (await fetch(`${gateway.url}/v1/providers`)).json()) as { providers: { id: string; state: string }[] };
    expect(providers.providers.map((p) => `${p.id}:${p.state}`)).toEqual(["alpha:active", "beta:active"]);
    for (const m of Object.values(mocks)) expect((await fetch(`${m.baseUrl}/models`)).status).toBe(200);
    expect(stagedOrder(await postStaged(gateway.url, okBody()))).toEqual(ORDER);
    const metrics = await fetch(`${gateway.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect((await metrics.text()).length).toBeLessThan(1024 * 1024);
  });
});
