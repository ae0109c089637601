import type { FaultFrame, Frame } from "../stream.js";
import type { MockApi } from "../types.js";
import type { NativePlan, NativeRequest } from "./plan.js";

/** A refusal before any work: the status and the message the API would give. */
export interface Refusal {
  status: number;
  message: string;
}

/** What the handler passes an API about the request beyond its body. */
export interface RequestInfo {
  headers: Record<string, string>;
  path: string;
  query: URLSearchParams;
}

/**
 * One emulated native API: how it reads a request (and what it refuses), how it encodes a plan as
 * stream frames or as one body, and what its errors look like. The handler does the rest
 * (recording, faults, latency, summaries) the same way for every API.
 */
export interface NativeApi {
  name: Exclude<MockApi, "openai">;
  format: "sse" | "ndjson";
  contentType: string;
  read(info: RequestInfo, body: unknown): { ok: true; req: NativeRequest } | { ok: false; refusal: Refusal };
  /** The error body and headers for `status` (429 and 529 carry their retry hint as the API does). */
  error(status: number, message: string, retryAfterSeconds: number | undefined): { body: unknown; headers: Record<string, string> };
  /** `withoutEnd`: leave out what says the stream is complete where that is not a frame of its own (Gemini's finishReason). */
  frames(plan: NativePlan, req: NativeRequest, id: string, opts?: { withoutEnd?: boolean }): Frame[];
  /** The in-stream error an `errorAfterChunks` fault sends. */
  errorFrame: FaultFrame;
  /** A non-streamed answer. */
  body(plan: NativePlan, req: NativeRequest, id: string): unknown;
  /**
   * A 200 the API gives instead of a stream for a streamed call it reads differently (Gemini's
   * streamGenerateContent without `alt=sse` answers one JSON array); undefined when not.
   */
  unstreamed?(info: RequestInfo, plan: NativePlan, req: NativeRequest, id: string): Response | undefined;
}
