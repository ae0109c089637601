import { describe, expect, it } from "vitest";
import { postStaged, userMessage, type StagedResult } from "../helpers/sse.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";

const stack = useProviderStack();

const yaml = `
providers:
  - { id: a, base_url: "{{url:a}}" }
  - { id: b, base_url: "{{url:b}}" }
  - { id: c, base_url: "{{url:c}}" }
routes:
  - { model: "*", strategy: round_robin, providers: [a, b, c] }
`;

describe("a provider dies in the middle of a 100-request burst", () => {
  it("answers every request that had not begun its answer on the dead one", async () => {
    const mockOpts = { latency: { reasoningChunkMs: 8, answerChunkMs: 8 } };
    const { gateway, mocks } = await stack({ a: mockOpts, b: mockOpts, c: mockOpts }, yaml, { UPSTREAM_MAX_RETRIES: "0" });
    const results: StagedResult[] = [];
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (next < 100) {
        const i = next++;
        if (i === 40 && !killed) {
          killed = true;
          void mocks.b!.close(); // sockets destroyed mid-stream, port closed for new calls
        }
        results.push(await postStaged(gateway.url, { model: "reasoning-llm", messages: userMessage(`Question number ${i}: why is the sea salty?`) }));
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));

    expect(results).toHaveLength(100);
    const ok = results.filter((r) => r.events.at(-1)?.event === "output.done");
    const failed = results.filter((r) => r.events.at(-1)?.event !== "output.done");
    for (const r of failed) {
      // The only acceptable failure: the answer had already begun streaming from the dead provider.
      const n = r.events.map((e) => e.event);
      expect(r.status).toBe(200);
      expect(r.events.at(-1)).toMatchObject({ event: "error", data: { stage: "upstream" } });
      expect(n.indexOf("output.delta")).toBeGreaterThan(-1);
      expect(n.indexOf("output.delta")).toBeLessThan(n.lastIndexOf("error"));
    }
    for (const r of ok) expect(r.events.filter((e) => e.event === "error")).toEqual([]);
    // b really served part of the burst before it died, and the rest went elsewhere.
    expect(chatCalls(mocks.b!).length).toBeGreaterThan(5);
    expect(ok.length + failed.length).toBe(100);
    expect(ok.length).toBeGreaterThanOrEqual(80);
    console.info(`burst: ${ok.length} answered, ${failed.length} cut after their answer began on the killed provider`);
  });
});
