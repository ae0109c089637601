import type { Source, SseEvent, SseOut, StagedEvent } from "../events/index.js";
import type { Collected, StagedRequest } from "../pipeline/index.js";
import { chatUrlCitations, createCitationScanner, findCitations, type Citation } from "./citations.js";
import { chatCompletion } from "./staged.js";
import type { Failure, StreamEncoder } from "./types.js";

/*
 * The OpenAI chat-completions dialect (`/openai/v1/chat/completions`): standard
 * `chat.completion.chunk` objects, so every OpenAI client works unchanged. The staged summaries
 * travel in `delta.reasoning_content` — the field reasoning-aware clients (the Vercel AI SDK,
 * chat UIs that show DeepSeek's thinking) already render — in their staged order, parts
 * separated by a blank line; the answer and tool calls are `delta.content` / `delta.tool_calls`.
 * With `include_reasoning`, the model's own reasoning is one more part there: live, where it falls
 * among the summaries, when streamed; after the summaries in the JSON answer.
 *
 * Research mode adds two things. Our documented extension: the sources, as a top-level `sources`
 * array — beside `choices` in the JSON answer, and in one chunk of its own (`"choices": []`, like
 * the usage chunk, so SDKs pass it by) when streamed. And OpenAI's own shape for web-search
 * citations: `message.annotations` (`delta.annotations` on the last chunk) with one
 * `url_citation` per `[n]` the answer cites.
 *
 * Schema-validated answers (`response_format`) add a top-level `validation` extension field
 * `{valid, attempts, escalated, errors?}`: beside `choices` in the JSON answer, and on the last
 * chunk (the one with `finish_reason`) when streamed.
 */

export interface OpenAIChatContext {
  requestId: string;
  model: string;
  createdSeconds: number;
  /** `stream_options.include_usage`: a last chunk with `usage` and no choices. */
  includeUsage: boolean;
}

/** Blank line between reasoning parts, as the non-streamed `reasoning_content` joins them. */
const PART_SEPARATOR = "\n\n";

export function openAIChatEncoder(ctx: OpenAIChatContext): StreamEncoder {
  return new OpenAIChatEncoder(ctx);
}

/** A class rather than an object of closures: one prototype for every open stream's encoder. */
class OpenAIChatEncoder implements StreamEncoder {
  /** Everything before the delta is the same in every chunk of this response: built once. */
  private readonly head: string;
  private readonly includeUsage: boolean;
  /** The first chunk carries the role, as OpenAI's do. */
  private roleSent = false;
  /** Reasoning parts sent so far; the next one is preceded by a blank line. */
  private reasoningParts = 0;
  /** Inside the model's own reasoning (`reasoning.delta` events): one part, however many chunks. */
  private rawOpen = false;
  /** Research mode: the sources, and the citations of them found in the answer so far. */
  private sources: Source[] = [];
  private scanner: ReturnType<typeof createCitationScanner> | undefined;
  private citations: Citation[] | undefined;

  constructor(ctx: OpenAIChatContext) {
    this.head = `{"id":${JSON.stringify(`chatcmpl-${ctx.requestId}`)},"object":"chat.completion.chunk","created":${ctx.createdSeconds},"model":${JSON.stringify(ctx.model)},`;
    this.includeUsage = ctx.includeUsage;
  }

  event(e: StagedEvent, out: SseOut): void {
    switch (e.event) {
      case "summary.prompt":
      case "summary.progress":
      case "summary.reasoning":
        return this.reasoning(e.data.text, out);
      case "reasoning.delta":
        return this.rawReasoning(e.data.text, out);
      case "output.delta":
        if (this.scanner) (this.citations ??= []).push(...this.scanner.feed(e.data.text));
        return out(this.chunk(this.withRole({ content: e.data.text })));
      case "output.tool_calls":
        return out(this.chunk(this.withRole({ tool_calls: e.data.tool_calls })));
      case "output.done": {
        const annotations = chatUrlCitations(this.citations ?? [], this.sources);
        const validation = e.data.validation ? `,"validation":${JSON.stringify(e.data.validation)}` : "";
        out(this.chunk(this.withRole(annotations.length > 0 ? { annotations } : {}), e.data.finish_reason ?? "stop", validation));
        if (this.includeUsage) out({ data: `${this.head}"choices":[],"usage":${JSON.stringify(e.data.usage ?? null)}}` });
        return;
      }
      case "upstream.retry":
        // A comment: SDKs skip it, a person reading the stream sees why it is quiet.
        return out({ comment: `upstream retry ${e.data.attempt}/${e.data.max_retries} (${oneLine(e.data.code)})` });
      case "research.sources":
        if (e.data.sources.length === 0) return;
        this.sources = e.data.sources;
        this.scanner = createCitationScanner(this.sources.length);
        return out({ data: `${this.head}"choices":[],"sources":${JSON.stringify(this.sources)}}` });
      case "error":
        // A failed summary already fell back to sentences in reasoning_content; the
        // failure itself is the staged dialect's detail.
        return;
    }
  }

  failure(f: Failure, out: SseOut): void {
    out({ data: JSON.stringify({ error: { message: f.message, type: f.type, code: f.code, param: f.param ?? null } }) });
  }

  end(out: SseOut): void {
    out({ data: "[DONE]" });
  }

  private chunk(delta: Record<string, unknown>, finishReason: string | null = null, extra = ""): SseEvent {
    return { data: `${this.head}"choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finishReason)}}]${extra}}` };
  }

  private withRole(delta: Record<string, unknown>): Record<string, unknown> {
    if (this.roleSent) return delta;
    this.roleSent = true;
    return { role: "assistant", ...delta };
  }

  private reasoning(text: string, out: SseOut): void {
    if (text === "") return;
    this.rawOpen = false;
    const sep = this.reasoningParts++ > 0 ? PART_SEPARATOR : "";
    out(this.chunk(this.withRole({ reasoning_content: sep + text })));
  }

  /** The raw reasoning streams live as one part of `reasoning_content`, set off from the summaries. */
  private rawReasoning(text: string, out: SseOut): void {
    if (text === "") return;
    const sep = !this.rawOpen && this.reasoningParts++ > 0 ? PART_SEPARATOR : "";
    this.rawOpen = true;
    out(this.chunk(this.withRole({ reasoning_content: sep + text })));
  }
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, " ");
}

/**
 * The prompt summary, the progress summaries and the reasoning summary as one `reasoning_content`,
 * then the model's own reasoning when it was asked for (`include_reasoning`).
 */
export function reasoningContent(r: Pick<Collected, "promptSummary" | "progress" | "reasoningSummary"> & Partial<Pick<Collected, "reasoning">>): string | null {
  const parts = [r.promptSummary?.text, ...r.progress.map((p) => p.text), r.reasoningSummary?.text, r.reasoning].filter(
    (t): t is string => t !== undefined && t !== "",
  );
  return parts.length > 0 ? parts.join(PART_SEPARATOR) : null;
}

/** The non-streamed `chat.completion`, as OpenAI would answer it, the summaries in `reasoning_content`. */
export function openAIChatCompletion(req: StagedRequest, r: Collected, createdSeconds: number) {
  const annotations = chatUrlCitations(findCitations(r.answer, r.sources.length), r.sources);
  return chatCompletion(req, r, createdSeconds, { reasoning_content: reasoningContent(r), ...(annotations.length > 0 && { annotations }) });
}
