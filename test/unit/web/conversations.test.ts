import { describe, expect, it } from "vitest";
import { newTurn, type Turn } from "../../../src/web/client/conversation.js";
import {
  byRecent,
  LEGACY_KEY,
  LIBRARY_KEY,
  loadLibrary,
  MAX_CONVERSATIONS,
  MAX_TURNS,
  saveLibrary,
  titleOf,
  type Conversation,
  type KeyValueStore,
  type Library,
} from "../../../src/web/client/conversations.js";

const turn = (over: Partial<Turn> = {}): Turn => ({
  ...newTurn({ id: "t1", prompt: "Why?", model: "m", startedAt: 1000 }),
  status: "done",
  answer: "A",
  ...over,
});
const conv = (id: string, updatedAt: number, turns: Turn[] = [turn({ id: `${id}-t` })]): Conversation => ({ id, title: id, updatedAt, turns });

function memoryStore(limitChars = Infinity): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => {
      if (v.length > limitChars) throw new Error("QuotaExceededError");
      data.set(k, v);
    },
    removeItem: (k) => void data.delete(k),
  };
}

let n = 0;
const ids = () => `gen-${++n}`;

describe("titleOf", () => {
  it("is the first line, whitespace folded, cut at 60 characters", () => {
    expect(titleOf("  Why is the   sky blue?\nAnd red at sunset?")).toBe("Why is the sky blue?");
    const long = titleOf("x".repeat(100));
    expect(long).toHaveLength(60);
    expect(long.endsWith("…")).toBe(true);
    expect(titleOf(" \n ")).toBe("New chat");
  });
});

describe("loadLibrary / saveLibrary", () => {
  it("round-trips several conversations and which one is open; newest first", () => {
    const store = memoryStore();
    const lib: Library = { conversations: [conv("old", 1), conv("new", 3), conv("mid", 2)], currentId: "mid" };
    expect(saveLibrary(store, lib)).toBe(true);
    const back = loadLibrary(store, ids);
    expect(back.conversations.map((c) => c.id)).toEqual(["new", "mid", "old"]);
    expect(back.currentId).toBe("mid");
    expect(back.conversations[1]).toEqual(conv("mid", 2));
  });

  it("keeps a new chat (no conversation open) as such, and never saves an empty conversation", () => {
    const store = memoryStore();
    saveLibrary(store, { conversations: [conv("a", 1), conv("empty", 2, [])], currentId: null });
    const back = loadLibrary(store, ids);
    expect(back.conversations.map((c) => c.id)).toEqual(["a"]);
    expect(back.currentId).toBeNull();
    saveLibrary(store, { conversations: [], currentId: null });
    expect(store.data.has(LIBRARY_KEY)).toBe(false);
  });

  it("a turn saved mid-answer comes back interrupted; unreadable entries are dropped, not fatal", () => {
    const store = memoryStore();
    saveLibrary(store, { conversations: [conv("a", 1, [turn({ id: "live", status: "streaming", retry: "warming up" })])], currentId: "a" });
    expect(loadLibrary(store, ids).conversations[0]!.turns[0]).toMatchObject({ id: "live", status: "interrupted", retry: null });
    store.setItem(
      LIBRARY_KEY,
      JSON.stringify({ currentId: "gone", conversations: [{ id: "x" }, "junk", conv("ok", 1), { ...conv("bad-turns", 2), turns: [{ id: "nope" }] }] }),
    );
    const back = loadLibrary(store, ids);
    expect(back.conversations.map((c) => c.id)).toEqual(["ok"]);
    expect(back.currentId).toBeNull();
    store.setItem(LIBRARY_KEY, "{not json");
    expect(loadLibrary(store, ids).conversations).toEqual([]);
  });

  it("moves the earlier single conversation into the list, then removes the old key", () => {
    const store = memoryStore();
    const turns = [turn({ id: "1", prompt: "First question?", startedAt: 100 }), turn({ id: "2", prompt: "Second?", startedAt: 200 })];
    store.setItem(LEGACY_KEY, JSON.stringify({ turns }));
    const lib = loadLibrary(store, () => "moved");
    expect(lib.conversations).toEqual([{ id: "moved", title: "First question?", updatedAt: 200, turns }]);
    expect(lib.currentId).toBe("moved");
    saveLibrary(store, lib);
    expect(store.data.has(LEGACY_KEY)).toBe(false);
    expect(loadLibrary(store, ids).conversations.map((c) => c.id)).toEqual(["moved"]);
  });

  it("keeps at most MAX_CONVERSATIONS (the newest, and always the open one) and MAX_TURNS each", () => {
    const store = memoryStore();
    const many = Array.from({ length: MAX_CONVERSATIONS + 5 }, (_, i) => conv(`c${i}`, 100 + i));
    const long = conv(
      "long",
      1,
      Array.from({ length: MAX_TURNS + 3 }, (_, i) => turn({ id: `t${i}` })),
    );
    saveLibrary(store, { conversations: [...many, long], currentId: "long" });
    const back = loadLibrary(store, ids);
    expect(back.conversations).toHaveLength(MAX_CONVERSATIONS);
    expect(back.conversations.map((c) => c.id)).toContain("long");
    expect(back.conversations.map((c) => c.id)).not.toContain("c5");
    const kept = back.conversations.find((c) => c.id === "long")!;
    expect(kept.turns).toHaveLength(MAX_TURNS);
    expect(kept.turns[0]!.id).toBe("t3");
  });

  it("when the quota is hit: the oldest other conversations go first, then the open one's older turns", () => {
    const big = (id: string, at: number) => conv(id, at, [turn({ id: `${id}-1`, answer: "y".repeat(900) }), turn({ id: `${id}-2`, answer: "y".repeat(900) })]);
    const tight = memoryStore(5_000);
    const lib: Library = { conversations: [big("a", 1), big("b", 2), big("c", 3)], currentId: "a" };
    expect(saveLibrary(tight, lib)).toBe(true);
    const back = loadLibrary(tight, ids);
    expect(back.conversations.map((c) => c.id)).toEqual(["c", "a"]);
    expect(back.currentId).toBe("a");

    const tighter = memoryStore(1_800);
    expect(saveLibrary(tighter, lib)).toBe(true);
    expect(loadLibrary(tighter, ids).conversations.map((c) => [c.id, c.turns.map((t) => t.id)])).toEqual([["a", ["a-2"]]]);
    expect(saveLibrary(memoryStore(10), lib)).toBe(false);
  });

  it("byRecent orders newest first without changing the list", () => {
    const list = [conv("a", 1), conv("b", 2)];
    expect(byRecent(list).map((c) => c.id)).toEqual(["b", "a"]);
    expect(list.map((c) => c.id)).toEqual(["a", "b"]);
  });
});
