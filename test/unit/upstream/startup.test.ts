import { describe, expect, it } from "vitest";
import { warnUnreachableUpstreams } from "../../../src/upstream/index.js";

const target = (baseUrl: string) => ({ baseUrl, path: "/chat/completions", apiKey: undefined });

describe("start-up upstream check", () => {
  it("warns about each unreachable or failing upstream, quietly passes reachable ones, and never throws", async () => {
    const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
    const fetchFake: typeof fetch = async (input) => {
      const url = input instanceof Request ? input.url : input instanceof URL ? input.href : input;
      if (url.startsWith("http://down")) throw new TypeError("fetch failed");
      if (url.startsWith("http://broken")) return new Response("oops", { status: 502 });
      return new Response(JSON.stringify({ data: [] }), { status: url.startsWith("http://auth") ? 401 : 200 });
    };
    const results = await warnUnreachableUpstreams(
      [
        { provider: "up", target: target("http://up/v1") },
        { provider: "auth", target: target("http://auth/v1") },
        { provider: "down", target: target("http://down/v1") },
        { provider: "broken", target: target("http://broken/v1") },
      ],
      { fetch: fetchFake, now: () => 0, logger: { warn: (fields: Record<string, unknown>, msg: string) => void warnings.push({ fields, msg }) } as never },
    );
    expect(results.map((r) => [r.provider, r.ok])).toEqual([
      ["up", true],
      ["auth", true],
      ["down", false],
      ["broken", false],
    ]);
    expect(warnings.map((w) => w.fields.provider)).toEqual(["down", "broken"]);
    expect(warnings[0]!.msg).toContain("provider down is not reachable at start-up");
    expect(warnings[0]!.msg).toContain("serving anyway");
    expect(warnings[1]!.fields).toMatchObject({ upstream: "http://broken/v1", reason: "answered HTTP 502" });
  });
});
