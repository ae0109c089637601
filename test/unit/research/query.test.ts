import { describe, expect, it } from "vitest";
import { isFollowUp, MAX_CONTEXT_TERMS, MAX_QUERY_CHARS, researchQuery } from "../../../src/research/query.js";

/** A conversation from alternating user and assistant turns, user first. */
const chat = (...turns: string[]) => turns.map((content, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content }));

describe("the research query is built from the conversation", () => {
  it("a follow-up borrows the topic of the question before it, without its connective", () => {
    const q = researchQuery({}, chat("Why is the sky blue?", "Because air scatters blue light more.", "And why is it red at sunset?"));
    expect(q).toBe("why is it red at sunset? sky blue");
  });

  it("a standalone question is searched as it is, whatever came before", () => {
    expect(researchQuery({}, chat("Why is the sky blue?", "Rayleigh scattering.", "What is the capital of France?"))).toBe("What is the capital of France?");
    expect(researchQuery({}, chat("Why is the sky blue?"))).toBe("Why is the sky blue?");
  });

  it("'what about' and a very short turn are follow-ups", () => {
    expect(researchQuery({}, chat("How tall is the Eiffel Tower?", "330 m.", "What about the Empire State Building?"))).toBe(
      "the Empire State Building? tall Eiffel Tower",
    );
    expect(researchQuery({}, chat("Is coffee bad for blood pressure?", "Briefly raises it.", "Why?"))).toBe("Why? coffee bad blood pressure");
  });

  it("a pronoun pointing back makes a follow-up; names and numbers of the earlier turn rank first", () => {
    const q = researchQuery(
      {},
      chat("I read that the James Webb telescope launched in December 2021 on an Ariane rocket from French Guiana.", "Yes.", "How far away is it now?"),
    );
    expect(q).toBe("How far away is it now? James Webb December 2021 Ariane French");
    expect(q.split(" ").length - "How far away is it now?".split(" ").length).toBe(MAX_CONTEXT_TERMS);
  });

  it("follows a chain of follow-ups back to the turn that named the topic", () => {
    const q = researchQuery(
      {},
      chat("What do axolotls eat?", "Worms and small fish.", "And in captivity?", "Pellets, bloodworms.", "How often should they be fed?"),
    );
    expect(q).toBe("How often should they be fed? axolotls eat captivity");
  });

  it("stops at the first earlier turn that stands on its own", () => {
    const q = researchQuery({}, chat("Tell me about Kyoto temples.", "…", "Why is the sky blue?", "…", "And at sunset?"));
    expect(q).toBe("at sunset? sky blue");
  });

  it("only user turns count; system prompts and answers never reach the search", () => {
    const messages = [
      { role: "system", content: "You are Nimbus, a weather assistant for Contoso." },
      ...chat("Will it rain in Lisbon tomorrow?", "Probably, Contoso radar shows a front from the Atlantic.", "And the day after?"),
    ];
    expect(researchQuery({}, messages)).toBe("the day after? rain Lisbon tomorrow");
  });

  it("text parts only: an image part is nothing to search for", () => {
    const messages = [
      {
        role: "user",
        content: [
          { type: "text", text: "What bird is this, a Eurasian jay?" },
          { type: "image_url", image_url: { url: "https://example.org/bird.png" } },
        ],
      },
      { role: "assistant", content: "Looks like one." },
      { role: "user", content: [{ type: "text", text: "What does it eat?" }] },
    ];
    expect(researchQuery({}, messages)).toBe("What does it eat? bird Eurasian jay");
  });

  it("the request's own query wins over the conversation", () => {
    expect(researchQuery({ query: "rayleigh scattering sunset" }, chat("Why is the sky blue?", "…", "And at sunset?"))).toBe("rayleigh scattering sunset");
  });

  it("stays within the bound, adding whole terms only", () => {
    const long = `${"word ".repeat(79)}it?`; // 398 characters
    const q = researchQuery({}, chat("Tell me about Kyoto temples", "…", long));
    expect(q.length).toBeLessThanOrEqual(MAX_QUERY_CHARS);
    expect(q.endsWith("it?")).toBe(true);
    const huge = researchQuery({}, chat("Kyoto temples", "…", `and ${"word ".repeat(10_000)}`));
    expect(huge.length).toBeLessThanOrEqual(MAX_QUERY_CHARS);
    expect(huge).toMatch(/^word( word)*$/);
  });

  it("is deterministic and says which turns are follow-ups", () => {
    const messages = chat("Why is the sky blue?", "…", "And why is it red at sunset?");
    for (let i = 0; i < 10; i++) expect(researchQuery({}, messages)).toBe("why is it red at sunset? sky blue");
    for (const t of ["And then?", "But is it safe?", "What about Mars?", "Why is that?", "Tell me more", "so, what now"]) expect(isFollowUp(t), t).toBe(true);
    for (const t of ["Why is the sky blue?", "What is the capital of France?", "Is there life on Mars today?", "Explain the theory that explains gravity"])
      expect(isFollowUp(t), t).toBe(false);
  });

  it("nothing to search for is empty", () => {
    expect(researchQuery({}, [])).toBe("");
    expect(researchQuery({}, chat("   "))).toBe("");
  });
});
