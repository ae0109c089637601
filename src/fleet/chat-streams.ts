import { createHash } from "node:crypto";
import { EventLogUnavailableError } from "./event-log.js";
import { fleetKeys } from "./keys.js";
import type { RedisLink } from "./link.js";

/**
 * Which request a chat streamed last, so the AI SDK's `resume` can find it: useChat reconnects
 * with `GET {api}/{chatId}/stream`, naming its own chat id — never the gateway's request id.
 * Scoped by the key that started it, so one key can never find another's stream by guessing a
 * chat id. In Redis (any replica can answer the reconnect) when the fleet has it; else here,
 * bounded.
 */
export interface ChatStreams {
  /** `chatId` of `owner` now streams `requestId`, for `ttlMs`. Never waits and never throws. */
  set(owner: string, chatId: string, requestId: string, ttlMs: number): void;
  /** The request `chatId` streamed last, while its ttl lasts. Throws EventLogUnavailableError when Redis cannot say now. */
  get(owner: string, chatId: string): Promise<string | undefined>;
}

/** Chats remembered by one process without Redis; the oldest is forgotten first. */
export const MAX_LOCAL_CHATS = 10_000;

/** The owner and the chat id, hashed: a fixed-length key whatever the client sent, and no key name in Redis. */
function chatKey(owner: string, chatId: string): string {
  return createHash("sha256").update(owner).update("\0").update(chatId).digest("base64url");
}

export function createChatStreams(link: RedisLink | undefined, prefix: string, now: () => number): ChatStreams {
  if (link) return redisChatStreams(link, prefix);
  const chats = new Map<string, { requestId: string; until: number }>();
  return {
    set(owner, chatId, requestId, ttlMs) {
      const key = chatKey(owner, chatId);
      // Re-inserted, so the Map's order stays oldest-first.
      chats.delete(key);
      chats.set(key, { requestId, until: now() + ttlMs });
      for (const [k, v] of chats) {
        if (chats.size <= MAX_LOCAL_CHATS && v.until > now()) break;
        chats.delete(k);
      }
    },
    async get(owner, chatId) {
      const entry = chats.get(chatKey(owner, chatId));
      return entry && entry.until > now() ? entry.requestId : undefined;
    },
  };
}

function redisChatStreams(link: RedisLink, prefix: string): ChatStreams {
  const keys = fleetKeys(prefix);
  return {
    set(owner, chatId, requestId, ttlMs) {
      // Redis down: the chat cannot be resumed; its stream is not affected.
      void link.attempt("chat stream set", (r) => r.set(keys.chat(chatKey(owner, chatId)), requestId, "PX", Math.max(1, Math.round(ttlMs))));
    },
    async get(owner, chatId) {
      const r = await link.attempt("chat stream get", (c) => c.get(keys.chat(chatKey(owner, chatId))));
      if (!r.ok) throw new EventLogUnavailableError("Redis is unreachable");
      return r.value ?? undefined;
    },
  };
}
