import type { UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import { describeIssues } from "../../../src/http/chat-schema.js";
import { aiSdkRequestSchema, SurfaceInputError, translateAiSdkRequest, type AiSdkRequestBody } from "../../../src/surfaces/index.js";

/*
 * useChat's body → the pipeline's chat request. The UI messages are built with the SDK's own
 * types, so a shape the SDK would never send does not sneak in.
 */

function body(messages: UIMessage[], extra: Record<string, unknown> = {}): AiSdkRequestBody {
  const parsed = aiSdkRequestSchema.safeParse({ id: "chat-1", messages, trigger: "submit-message", model: "m", ...extra });
  if (!parsed.success) throw new Error(describeIssues(parsed.error));
  return parsed.data;
}

const translate = (messages: UIMessage[], extra: Record<string, unknown> = {}, defaultModel?: string) =>
  translateAiSdkRequest(body(messages, extra), defaultModel);
const issues = (raw: unknown) => {
  const parsed = aiSdkRequestSchema.safeParse(raw);
  return parsed.success ? "" : describeIssues(parsed.error);
};
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof SurfaceInputError) return e.message;
    throw e;
  }
  return "";
};

const user = (text: string, id = "u1"): UIMessage => ({ id, role: "user", parts: [{ type: "text", text }] });

describe("translateAiSdkRequest", () => {
  it("user and system text become chat messages; one text part stays a string", () => {
    const t = translate([
      {
        id: "s",
        role: "system",
        parts: [
          { type: "text", text: "Be " },
          { type: "text", text: "brief." },
        ],
      },
      user("  Hi\n"),
    ]);
    expect(t.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "  Hi\n" },
    ]);
    expect(t).toMatchObject({ model: "m", chatId: "chat-1", continuedMessageId: undefined });
  });

  it("an image file becomes an image_url part; another kind of file is refused by its path", () => {
    const withImage: UIMessage = {
      id: "u",
      role: "user",
      parts: [
        { type: "file", mediaType: "image/png", url: "data:image/png;base64,AAAA" },
        { type: "text", text: "What is this?" },
      ],
    };
    expect(translate([withImage]).messages).toEqual([
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          { type: "text", text: "What is this?" },
        ],
      },
    ]);
    const pdf: UIMessage = { id: "u", role: "user", parts: [{ type: "file", mediaType: "application/pdf", url: "data:application/pdf;base64,AAAA" }] };
    expect(refusal(() => translate([pdf]))).toMatch(/^messages\[0\]\.parts\[0\]\.mediaType: "application\/pdf" files are not supported/);
  });

  it("the gateway's own reasoning, data and source parts never go back upstream", () => {
    const assistant: UIMessage = {
      id: "a1",
      role: "assistant",
      parts: [
        { type: "step-start" },
        { type: "data-prompt-summary", id: "prompt-summary-r1", data: { text: "Asks." } },
        { type: "reasoning", text: "Asks.\n\n- bullets", state: "done" },
        { type: "source-url", sourceId: "1", url: "https://example.org", title: "Ex" },
        { type: "data-reasoning-summary", id: "reasoning-summary-r1", data: { text: "- bullets" } },
        { type: "text", text: "The answer.", state: "done" },
      ],
    };
    const t = translate([user("Q"), assistant, user("And?", "u2")]);
    expect(t.messages).toEqual([
      { role: "user", content: "Q" },
      { role: "assistant", content: "The answer." },
      { role: "user", content: "And?" },
    ]);
    expect(JSON.stringify(t.messages)).not.toContain("bullets");
  });

  it("an assistant turn with tools splits at each step, as the SDK's convertToModelMessages does", () => {
    const assistant: UIMessage = {
      id: "a1",
      role: "assistant",
      parts: [
        { type: "step-start" },
        { type: "text", text: "Let me check." },
        { type: "tool-get_weather", toolCallId: "call_w1", state: "output-available", input: { city: "Paris" }, output: { temp_c: 21 } },
        { type: "dynamic-tool", toolName: "lookup", toolCallId: "call_d2", state: "output-error", input: { q: "x" }, errorText: "lookup failed" },
        { type: "tool-partial", toolCallId: "call_p3", state: "input-streaming", input: undefined },
        { type: "step-start" },
        { type: "text", text: "It is 21 °C." },
      ],
    };
    const t = translate([user("Weather in Paris?"), assistant]);
    expect(t.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: "Let me check.",
        tool_calls: [
          { id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "call_d2", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_w1", content: '{"temp_c":21}' },
      { role: "tool", tool_call_id: "call_d2", content: "lookup failed" },
      { role: "assistant", content: "It is 21 °C." },
    ]);
    // The last message is the assistant being continued: the stream keeps writing to it.
    expect(t.continuedMessageId).toBe("a1");
  });

  it("a call without a result yet goes up as a call alone; a denied one tells the model so", () => {
    const assistant: UIMessage = {
      id: "a1",
      role: "assistant",
      parts: [
        { type: "tool-ask", toolCallId: "c1", state: "input-available", input: { q: 1 } },
        { type: "tool-rm", toolCallId: "c2", state: "output-denied", input: {}, approval: { id: "ap", approved: false, reason: "not allowed" } },
      ],
    };
    expect(translate([user("Q"), assistant]).messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "c1", type: "function", function: { name: "ask", arguments: '{"q":1}' } },
          { id: "c2", type: "function", function: { name: "rm", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "c2", content: "not allowed" },
    ]);
  });

  it("the model: the body's, else the configured default, else a 400 that says how to send it", () => {
    expect(translate([user("Q")], { model: "from-body" }, "default-model").model).toBe("from-body");
    expect(translate([user("Q")], { model: undefined }, "default-model").model).toBe("default-model");
    expect(refusal(() => translate([user("Q")], { model: undefined }))).toMatch(/^model: is required .*body: \{ model \}.*AI_SDK_DEFAULT_MODEL/);
  });

  it("only OpenAI sampling and tool fields go upstream: never the chat's id, trigger, messageId, the gateway's extensions or the app's own fields", () => {
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
    const t = translate([user("Q")], {
      temperature: 0.2,
      max_tokens: 50,
      tools,
      tool_choice: "auto",
      summary_model: "s",
      research: true,
      include_reasoning: true,
      messageId: "u1",
      userId: "app-user-7",
      sessionToken: "secret",
    });
    expect(t.passthrough).toEqual({ temperature: 0.2, max_tokens: 50, tools, tool_choice: "auto" });
    expect(t.research).toEqual({});
    expect(t.includeReasoning).toBe(true);
  });

  it("nothing to send is refused", () => {
    const dataOnly: UIMessage = { id: "u", role: "user", parts: [{ type: "data-note", data: { x: 1 } }] };
    expect(refusal(() => translate([dataOnly]))).toMatch(/^messages: no message has any text, file or tool part/);
  });

  it("a part type the gateway cannot translate is refused with its path", () => {
    const odd = {
      id: "u",
      role: "user",
      parts: [
        { type: "text", text: "a" },
        { type: "hologram", text: "b" },
      ],
    } as unknown as UIMessage;
    expect(refusal(() => translate([odd]))).toMatch(/^messages\[0\]\.parts\[1\]\.type: "hologram" parts are not supported/);
    const noText = { id: "u", role: "user", parts: [{ type: "text" }] } as unknown as UIMessage;
    expect(refusal(() => translate([noText]))).toBe("messages[0].parts[0].text: must be a string");
    const nameless = {
      id: "a",
      role: "assistant",
      parts: [{ type: "dynamic-tool", toolCallId: "c", state: "input-available", input: {} }],
    } as unknown as UIMessage;
    expect(refusal(() => translate([user("Q"), nameless]))).toBe("messages[1].parts[0].toolName: is required for a dynamic-tool part");
  });
});

describe("aiSdkRequestSchema", () => {
  it("names the field: messages without parts (AI SDK 4 shape), a bad trigger, a bad role, an overlong id", () => {
    expect(issues({ messages: [{ role: "user", content: "hi" }] })).toBe("messages[0].parts: is required: an array of UI message parts (AI SDK 5 or later)");
    expect(issues({ messages: [user("Q")], trigger: "resume-stream" })).toBe('trigger: must be "submit-message" or "regenerate-message"');
    expect(issues({ messages: [{ ...user("Q"), role: "tool" }] })).toBe("messages[0].role: must be one of system, user, assistant");
    expect(issues({ id: "x".repeat(257), messages: [user("Q")] })).toBe("id: must be at most 256 characters");
    expect(issues({ messages: [] })).toBe("messages: must not be empty");
    expect(issues({})).toBe("messages: is required and must be an array of UI messages");
    expect(issues({ messages: [user("Q")], trigger: "regenerate-message", messageId: "a1" })).toBe("");
  });
});
