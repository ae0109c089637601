import { describe, expect, it } from "vitest";
import { createChatStreams, MAX_LOCAL_CHATS } from "../../../src/fleet/index.js";

/* Which request a chat streamed last, kept in the process when there is no Redis. */

describe("createChatStreams without Redis", () => {
  it("answers the latest request of a chat, for its owner only, until its ttl passes", async () => {
    let now = 0;
    const chats = createChatStreams(undefined, "", () => now);
    chats.set("alpha", "chat-1", "req-1", 1_000);
    chats.set("alpha", "chat-1", "req-2", 1_000);
    expect(await chats.get("alpha", "chat-1")).toBe("req-2");
    expect(await chats.get("bravo", "chat-1")).toBeUndefined();
    expect(await chats.get("alpha", "chat-2")).toBeUndefined();
    now = 999;
    expect(await chats.get("alpha", "chat-1")).toBe("req-2");
    now = 1_000;
    expect(await chats.get("alpha", "chat-1")).toBeUndefined();
  });

  it("owner and chat id cannot be confused by where the separator falls", async () => {
    const chats = createChatStreams(undefined, "", () => 0);
    chats.set("a", "b:c", "req-1", 1_000);
    expect(await chats.get("a:b", "c")).toBeUndefined();
  });

  it(`remembers at most ${MAX_LOCAL_CHATS} chats, forgetting the oldest first`, async () => {
    const chats = createChatStreams(undefined, "", () => 0);
    for (let i = 0; i <= MAX_LOCAL_CHATS; i++) chats.set("", `chat-${i}`, `req-${i}`, 60_000);
    expect(await chats.get("", "chat-0")).toBeUndefined();
    expect(await chats.get("", "chat-1")).toBe("req-1");
    expect(await chats.get("", `chat-${MAX_LOCAL_CHATS}`)).toBe(`req-${MAX_LOCAL_CHATS}`);
  });
});
