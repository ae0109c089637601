import { afterEach, describe, expect, it } from "vitest";
import { MAX_SEARCH_BODY_BYTES, MAX_SEARCH_DEPTH, MAX_SEARCH_VALUES } from "../../src/research/index.js";
import { answerOf, first, postStaged, userMessage } from "../helpers/sse.js";
import { startFakeSearxng, type FakeSearxng } from "../helpers/searxng.js";
import { useStack } from "../helpers/stack.js";
import { MAX_LOOP_DELAY_MS, watchLoop } from "./loop-probe.js";

/*
 * A search engine is someone else's server: its answer is parsed only once its size, nesting and
 * value count are known to be those of a search result page. Before, a 4 MB `[[[[…` answer
 * stalled every request on the gateway for 1.5 s while JSON.parse built it.
 */

const stack = useStack();
const servers: FakeSearxng[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const ANSWER = "Air scatters blue light more.";

async function ask(body: string) {
  const searx = await startFakeSearxng({ kind: "raw", contentType: "application/json", body });
  servers.push(searx);
  const s = await stack({ answerText: ANSWER }, { SEARCH_URL: searx.url, SEARCH_TIMEOUT: "10" });
  const watch = watchLoop();
  const r = await postStaged(s.gateway.url, { model: "mock-think", messages: userMessage("Why is the sky blue?"), research: true });
  return { r, cost: watch.stop(), searx };
}

describe("hostile search answers", () => {
  // Just under the size bound: only the shape check stands between it and JSON.parse.
  const nested = (bytes: number) => {
    const depth = Math.floor((bytes - 20) / 2);
    return `{"results":[${"[".repeat(depth)}${"]".repeat(depth)}]}`;
  };
  const cases = [
    {
      name: `nested ${MAX_SEARCH_DEPTH + 1}+ levels (1 MB of [[[[…)`,
      body: nested(MAX_SEARCH_BODY_BYTES - 64),
      message: `nests deeper than ${MAX_SEARCH_DEPTH} levels`,
    },
    {
      name: `more than ${MAX_SEARCH_VALUES} values (1 MB of 0,0,0,…)`,
      body: `{"results":[${"0,".repeat(Math.floor((MAX_SEARCH_BODY_BYTES - 64) / 2))}0]}`,
      message: `more than ${MAX_SEARCH_VALUES} values`,
    },
    { name: "4 MB, nested", body: nested(4 * 1024 * 1024), message: `larger than ${MAX_SEARCH_BODY_BYTES} bytes` },
  ];
  for (const c of cases) {
    it(`${c.name}: research_bad_response without parsing it, the answer made without sources, the event loop never stalled`, async () => {
      const { r, cost, searx } = await ask(c.body);
      expect(searx.requests).toHaveLength(1);
      expect(r.status).toBe(200);
      expect(first(r, "error").data).toMatchObject({
        stage: "research",
        code: "research_bad_response",
        retryable: false,
        message: expect.stringContaining(c.message),
      });
      expect(answerOf(r)).toBe(ANSWER);
      expect(first(r, "output.done").data.sources).toEqual([]);
      expect(cost.maxDelayMs).toBeLessThan(MAX_LOOP_DELAY_MS);
    });
  }
});
