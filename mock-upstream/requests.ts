import type { MockCallKind } from "./types.js";

/** A message as the mock reads it, whatever API it came in on. */
export interface Message {
  role: string;
  text: string;
}

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Text of a message `content`: a string, or the text parts of a multimodal array. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : ""))
    .filter((t) => t.length > 0)
    .join("\n");
}

/** The messages of a request body, leniently: anything unreadable is skipped, not rejected. */
export function readMessages(body: Record<string, unknown>): Message[] {
  if (!Array.isArray(body.messages)) return [];
  return body.messages.filter(isRecord).map((m) => ({
    role: typeof m.role === "string" ? m.role : "",
    text: contentText(m.content),
  }));
}

/** Everything the user said, joined: what a summary summarises. */
export function userText(messages: Message[]): string {
  return messages
    .filter((m) => m.role === "user")
    .map((m) => m.text)
    .join("\n");
}

/** All prompt text, for the usage estimate. */
export function promptText(messages: Message[]): string {
  return messages.map((m) => m.text).join("\n");
}

/**
 * Tell summary calls from the main completion the way the gateway makes them: non-streamed with a
 * system (or developer) instruction. "bullet" is checked first because a reasoning-summary
 * instruction usually also says "summarise".
 */
export function classifyCall(stream: boolean, messages: Message[]): MockCallKind {
  if (stream) return "chat";
  const instructions = messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => m.text.toLowerCase());
  if (instructions.some((t) => t.includes("bullet"))) return "reasoning_summary";
  if (instructions.some((t) => t.includes("progress"))) return "progress_summary";
  if (instructions.some((t) => t.includes("summar"))) return "prompt_summary";
  return "chat";
}
