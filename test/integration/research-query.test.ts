import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { first, postStaged } from "../helpers/sse.js";
import { searxngResult, startFakeSearxng, type FakeSearxng } from "../helpers/searxng.js";
import { useStack } from "../helpers/stack.js";

/*
 * What research mode types into the search box, seen by a SearXNG-shaped server: a follow-up is
 * searched with the topic of the conversation, not on its own.
 */

const stack = useStack();
const servers: FakeSearxng[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const CONVERSATION = [
  { role: "user", content: "Why is the sky blue?" },
  { role: "assistant", content: "Air scatters short wavelengths more than long ones." },
  { role: "user", content: "And why is it red at sunset?" },
];

async function setup() {
  const searx = await startFakeSearxng({
    kind: "results",
    results: [searxngResult("Why are sunsets red?", "https://example.org/sunset", "At sunset light crosses more air.")],
  });
  servers.push(searx);
  const s = await stack(
    { answerText: "Light crosses more air [1].", reasoningText: "Sunset light travels further.", chunkChars: 8 },
    { SEARCH_URL: searx.url, SEARCH_TIMEOUT: "5" },
  );
  return { ...s, searx };
}

describe("research mode searches a follow-up with its conversation", () => {
  it("staged: the search engine gets the follow-up with the earlier question's terms, and research.sources says so", async () => {
    const s = await setup();
    const r = await postStaged(s.gateway.url, { model: "mock-reasoning_content", messages: CONVERSATION, research: true });
    expect(r.status).toBe(200);
    expect(s.searx.requests).toHaveLength(1);
    expect(s.searx.requests[0]?.query.q).toBe("why is it red at sunset? sky blue");
    expect(first(r, "research.sources").data.query).toBe("why is it red at sunset? sky blue");
  });

  it("openai SDK on /openai/v1: the same query, and a standalone question is searched as written", async () => {
    const s = await setup();
    const sdk = new OpenAI({ baseURL: `${s.gateway.url}/openai/v1`, apiKey: "unused", maxRetries: 0 });
    await sdk.chat.completions.create({
      model: "mock-reasoning_content",
      messages: CONVERSATION as OpenAI.ChatCompletionMessageParam[],
      research: true,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const standalone = [
      ...CONVERSATION,
      { role: "assistant", content: "It travels through more air." },
      { role: "user", content: "What is the capital of France?" },
    ];
    await sdk.chat.completions.create({
      model: "mock-reasoning_content",
      messages: standalone as OpenAI.ChatCompletionMessageParam[],
      research: true,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(s.searx.requests.map((q) => q.query.q)).toEqual(["why is it red at sunset? sky blue", "What is the capital of France?"]);
  });
});
