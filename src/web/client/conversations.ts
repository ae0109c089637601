import * as z from "zod";
import { readStoredTurn, storableTurn, type Turn } from "./conversation.js";

/*
 * The playground's conversations, as the side list shows them and localStorage keeps them across
 * reloads. No DOM here: the rules (titles, order, limits, what happens when storage is full, the
 * move from the single-conversation format) are unit-tested directly.
 */

export interface Conversation {
  id: string;
  /** The first prompt, shortened: what the side list shows. */
  title: string;
  /** Epoch ms of the last prompt sent: the list is newest first. */
  updatedAt: number;
  turns: Turn[];
}

export interface Library {
  conversations: Conversation[];
  /** The conversation on screen; null for a new chat that has no prompt yet. */
  currentId: string | null;
}

/** What the page needs of localStorage (and tests can fake). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const LIBRARY_KEY = "staged-gateway.conversations.v1";
/** The earlier format: one conversation. Read once, moved into the library, then removed. */
export const LEGACY_KEY = "staged-gateway.conversation.v1";
/** Beyond these the oldest go, so the history never fills the storage quota. */
export const MAX_CONVERSATIONS = 30;
export const MAX_TURNS = 50;
const TITLE_CHARS = 60;

/** The side list's name for a conversation: its first line, whitespace folded, at most 60 characters. */
export function titleOf(prompt: string): string {
  const line = prompt.trim().split("\n")[0]?.replace(/\s+/g, " ") ?? "";
  if (line === "") return "New chat";
  return line.length <= TITLE_CHARS ? line : `${line.slice(0, TITLE_CHARS - 1).trimEnd()}…`;
}

/** A conversation for a first prompt. */
export function newConversation(id: string, prompt: string, now: number): Conversation {
  return { id, title: titleOf(prompt), updatedAt: now, turns: [] };
}

/** Newest first: the order of the side list. */
export function byRecent(conversations: readonly Conversation[]): Conversation[] {
  return [...conversations].sort((a, b) => b.updatedAt - a.updatedAt);
}

export function currentOf(lib: Library): Conversation | undefined {
  return lib.conversations.find((c) => c.id === lib.currentId);
}

const storedConversation = z.object({ id: z.string(), title: z.string(), updatedAt: z.number(), turns: z.array(z.unknown()) });
const storedLibrary = z.object({ currentId: z.string().nullable().catch(null), conversations: z.array(z.unknown()) });
const legacy = z.object({ turns: z.array(z.unknown()) });

function readTurns(raw: readonly unknown[]): Turn[] {
  return raw
    .map(readStoredTurn)
    .filter((t): t is Turn => t !== null)
    .slice(-MAX_TURNS);
}

function parseJson(text: string | null): unknown {
  try {
    return JSON.parse(text ?? "null");
  } catch {
    return null;
  }
}

/**
 * The saved conversations. Storage is an edge, so each conversation and turn is checked and what
 * does not read is dropped. A single conversation saved by the earlier format becomes the first
 * entry (named after its first prompt); `newId` names it.
 */
export function loadLibrary(store: KeyValueStore, newId: () => string): Library {
  const lib: Library = { conversations: [], currentId: null };
  const saved = storedLibrary.safeParse(parseJson(store.getItem(LIBRARY_KEY)));
  if (saved.success) {
    for (const raw of saved.data.conversations) {
      const c = storedConversation.safeParse(raw);
      if (!c.success) continue;
      const turns = readTurns(c.data.turns);
      if (turns.length > 0) lib.conversations.push({ ...c.data, turns });
    }
    if (lib.conversations.some((c) => c.id === saved.data.currentId)) lib.currentId = saved.data.currentId;
  }
  const old = legacy.safeParse(parseJson(store.getItem(LEGACY_KEY)));
  const turns = old.success ? readTurns(old.data.turns) : [];
  const first = turns[0];
  if (first) {
    const moved: Conversation = { id: newId(), title: titleOf(first.prompt), updatedAt: turns.at(-1)?.startedAt ?? first.startedAt, turns };
    lib.conversations.push(moved);
    lib.currentId ??= moved.id;
  }
  lib.conversations = byRecent(lib.conversations).slice(0, MAX_CONVERSATIONS);
  return lib;
}

function write(store: KeyValueStore, conversations: readonly Conversation[], currentId: string | null): void {
  const kept = conversations.filter((c) => c.turns.length > 0);
  if (kept.length === 0) {
    store.removeItem(LIBRARY_KEY);
    return;
  }
  const body = { currentId, conversations: kept.map((c) => ({ ...c, turns: c.turns.slice(-MAX_TURNS).map(storableTurn) })) };
  store.setItem(LIBRARY_KEY, JSON.stringify(body));
}

/**
 * Saves the newest MAX_CONVERSATIONS (empty ones are not kept). When the quota is hit, the oldest
 * conversations other than the current one go first, then the current one's older turns. False
 * when not even the newest turn fits.
 */
export function saveLibrary(store: KeyValueStore, lib: Library): boolean {
  const current = currentOf(lib);
  let others = byRecent(lib.conversations.filter((c) => c !== current)).slice(0, MAX_CONVERSATIONS - (current ? 1 : 0));
  let turns = current?.turns.slice(-MAX_TURNS) ?? [];
  for (;;) {
    try {
      write(store, [...(current ? [{ ...current, turns }] : []), ...others], lib.currentId);
      store.removeItem(LEGACY_KEY);
      return true;
    } catch {
      if (others.length > 0) others = others.slice(0, -1);
      else if (turns.length > 1) turns = turns.slice(Math.ceil(turns.length / 2));
      else return false;
    }
  }
}
