import type { Hono } from "hono";
import type { EndpointSeed } from "./endpoints.js";
import { FAMILY_SCENARIOS } from "./families.js";

/**
 * Recursively optional, for option patches. Functions and primitives stay as they are; `Infinity`
 * remains a valid `number`, which is how `fail.times` says "always".
 */
export type DeepPartial<T> = T extends (...args: never[]) => unknown ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * How a scripted completion reports its reasoning (see README of the mock): the generic shapes, the
 * OpenRouter field shape (`reasoning_details`), and each open family's raw format (families.ts).
 * Longest name first, so suffix matching never mistakes one for another.
 */
export const MOCK_SCENARIOS = [
  "reasoning_content",
  "reasoning_details",
  "deepseek-v31",
  "reasoning",
  "harmony",
  "mistral",
  "hunyuan",
  "granite",
  "minimax",
  "tagged",
  "cohere",
  "gemma4",
  "think",
  "plain",
  "qwen3",
  "ernie",
  "seed",
  "kimi",
  "glm",
  "r1",
] as const;

export type MockScenario = (typeof MOCK_SCENARIOS)[number];

// Every family the mock can stream is a scenario: this stops compiling if one is left out.
const _families: readonly MockScenario[] = FAMILY_SCENARIOS;

export interface MockLatency {
  /** Delay before response headers of a chat call (stream or not). */
  headersMs: number;
  /** Delay before each reasoning chunk. */
  reasoningChunkMs: number;
  /** Delay before each answer chunk. */
  answerChunkMs: number;
  /** Delay before answering a prompt-summary call. */
  promptSummaryMs: number;
  /** Delay before answering a reasoning-summary call. */
  reasoningSummaryMs: number;
  /** Delay before answering a progress-summary call. */
  progressSummaryMs: number;
}

/**
 * Which calls a `fail` fault counts and fails. `stream` is the main completion (kind `chat`,
 * streamed or not); `summary` is both summary kinds; `all` is every chat-completions call.
 */
export type CallTarget = "stream" | "prompt_summary" | "reasoning_summary" | "summary" | "all";

export interface MockFailFault {
  status: number;
  /** How many matching calls fail before the mock recovers; `Infinity` = always. */
  times: number;
  /** Default `"stream"`. */
  target?: CallTarget;
  /** Sent as `Retry-After`; a 429 always carries one (default 1 second). */
  retryAfterSeconds?: number;
  /** Sent as `retry-after-ms` (OpenAI's own header, which clients prefer to `Retry-After`). */
  retryAfterMs?: number;
  message?: string;
  /** The error body's `param`: which request field the upstream objects to. */
  param?: string;
}

/**
 * Fault injection. Chunk counts include every `data:` JSON chunk written (the role chunk too, not
 * `[DONE]`). A threshold beyond the end of the script fires where `[DONE]` would have been, so a
 * configured fault always happens.
 */
export interface MockFaults {
  fail?: MockFailFault;
  /** Destroy the socket after N streamed chunks (no `[DONE]`). */
  dropAfterChunks?: number;
  /** After N chunks send an OpenAI-shaped in-stream `error` object, then end. */
  errorAfterChunks?: number;
  /** After N chunks send a chunk with `finish_reason: "error"`, then end. */
  finishErrorAfterChunks?: number;
  /** After N chunks send nothing more; keep the connection open until the client goes away. */
  stallAfterChunks?: number;
  /** Those summary calls never answer (until the client aborts). */
  stallSummaries?: "prompt" | "reasoning" | "both";
  /** End the stream without `data: [DONE]` (natives: without `message_stop` / `done: true` / Gemini's `finishReason`). */
  omitDone?: boolean;
  /**
   * A streamed call answers 200 with something hostile instead of its stream (issue 10):
   * `endless_line` — a proper stream whose first line never ends (until the client leaves);
   * `html` — a `text/html` page; `json` — `application/json`; `gzip` — a gzip-encoded stream
   * nobody asked for. A runaway model, in the API's own frames, until the client leaves:
   * `endless_tool_calls` — a new tool call every frame; `endless_tool_arguments` — one tool call
   * whose arguments never end (APIs that send whole calls send new ones instead);
   * `endless_answer` — answer text that never ends.
   */
  hostile?: HostileMode;
}

export const HOSTILE_MODES = ["endless_line", "html", "json", "gzip", "endless_tool_calls", "endless_tool_arguments", "endless_answer"] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];

/** Which API a call came in on: the OpenAI-compatible one or an emulated native one. */
export type MockApi = "openai" | "anthropic" | "gemini" | "ollama";

export interface MockOptions {
  /** Default for calls that do not pick one by header or model name. */
  scenario: MockScenario;
  reasoningText: string;
  answerText: string;
  /** Characters per content chunk; tags are cut wherever the boundary falls. */
  chunkChars: number;
  /** First chunk carries only `delta.role`. */
  roleChunk: boolean;
  /** Final chunk with `choices: []` and `usage`. */
  usageChunk: boolean;
  latency: MockLatency;
  faults: MockFaults;
  /**
   * Models named `mock-long-…` (e.g. `mock-long-think`) reason this long, in paragraphs, before
   * they answer: the scenario for live progress summaries.
   */
  longReasoningSeconds: number;
  /** Exact chunks for main chat calls, overriding the scenario (see script.ts); null = none. */
  script: ScriptedChunk[] | null;
  /**
   * A queue of chunk scripts: each main chat call the mock answers takes the next one (a refused
   * call takes none); once the queue is empty, `script` or the scenario answers. Setting it (in
   * the constructor or `configure`) restarts the queue. E.g. an invalid answer once, then valid.
   */
  scripts: ScriptedChunk[][] | null;
  /** Management API: how long AWAKING (after a wake) or INITIALIZING (after a restart) lasts before RUNNING. */
  wakeDelayMs: number;
  /**
   * The Friendli dedicated endpoints that exist, by id (the id is also the chat `model`). Any other
   * id gets 404 from the management API; replacing this record restarts the endpoints from their seeds.
   */
  endpoints: Record<string, EndpointSeed>;
  /** When set, management calls need `Authorization: Bearer <it>`. */
  managementToken?: string;
}

export type MockCallKind = "chat" | "prompt_summary" | "reasoning_summary" | "progress_summary";
export type MockCallOutcome = "pending" | "completed" | "aborted" | "dropped" | "failed";

export interface MockCall {
  /** 1, 2, 3… in arrival order (restarts after `reset()`). */
  id: number;
  kind: MockCallKind;
  stream: boolean;
  model: string;
  path: string;
  /** Exactly as received, so tests can check that gateway extension fields did not leak. */
  body: Record<string, unknown>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** `performance.now()` at arrival. */
  receivedAt: number;
  /** Status the mock answered with (0 until decided). */
  status: number;
  /** `aborted` = the client went away before the mock finished. */
  outcome: MockCallOutcome;
  endedAt?: number;
  chunksSent: number;
  /** Absent for OpenAI-compatible calls. */
  api?: MockApi;
  /** Bytes of body written, for the hostile `endless_line` stream (how much the client read before leaving). */
  bytesSent?: number;
}

/** A call to the emulated Friendli management API. */
export interface ManagementCall {
  action: "status" | "wake" | "sleep" | "restart";
  endpointId: string;
  /** The optional `X-Friendli-Team` header, recorded because real clients send it. */
  team?: string;
  status: number;
  receivedAt: number;
}

export interface MockUpstream {
  /** Mount or serve it. */
  app: Hono;
  calls: MockCall[];
  /** Not part of the brief's contract: management API calls, for dedicated-endpoint tests. */
  managementCalls: ManagementCall[];
  /** Current effective options (assigning replaces them wholesale). */
  options: MockOptions;
  /** Merge at run time; `faults` replaces wholesale when given (and restarts fail counting). */
  configure(patch: DeepPartial<MockOptions>): void;
  /** Forget calls, counters and endpoints; keep options. */
  reset(): void;
  /** Resolves once `predicate(calls)` holds; rejects after `timeoutMs` (default 15000: generous, it returns as soon as it holds). */
  waitFor(predicate: (calls: MockCall[]) => boolean, timeoutMs?: number): Promise<void>;
}

export interface RunningMock {
  mock: MockUpstream;
  port: number;
  /** `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  /** Closes the server and every open socket, and stops every pending timer. */
  close(): Promise<void>;
}

/**
 * An exact chunk script: each entry becomes one `chat.completion.chunk` whose `delta` is sent
 * as given, byte for byte. Tests use it for what the scenarios cannot express — tool calls in
 * pieces, tag-like text inside answers, surrogate pairs split between chunks, odd whitespace.
 */
export interface ScriptedChunk {
  delta: Record<string, unknown>;
  finish_reason?: string | null;
  delayMs?: number;
}
