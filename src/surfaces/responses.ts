import type { Source, SseOut, StagedEvent, ToolCallDelta, Usage, ValidationReport } from "../events/index.js";
import type { Collected } from "../pipeline/index.js";
import { findCitations, urlCitations, type UrlCitationAnnotation } from "./citations.js";
import type { ResponsesRequestBody } from "./responses-request.js";
import type { Failure, StreamEncoder } from "./types.js";

/*
 * The OpenAI Responses dialect (`/openai/v1/responses`). The staged summaries become the summary
 * parts of one `reasoning` output item — part 0 the prompt summary, then one per progress
 * summary, the last the reasoning summary — so any open reasoning model looks, to an unmodified
 * OpenAI SDK, like a model with live reasoning summaries; with `include_reasoning`, the model's own
 * reasoning is the item's `reasoning_text` content part, as OpenAI streams it for open-weight models.
 * The answer is a `message` item with
 * `output_text`; tool calls are `function_call` items. In research mode, each `[n]` the final
 * answer cites becomes a `url_citation` annotation on its `output_text`, as OpenAI's own web
 * search reports them (announced by `response.output_text.annotation.added` before the text is done).
 * A schema-validated answer (`text.format`) adds the extension field `validation` to the response
 * object (`response.completed`, and the `stream:false` answer).
 */

export interface ResponsesContext {
  requestId: string;
  model: string;
  createdSeconds: number;
  /** The request as sent, for the fields a response object echoes. */
  body: ResponsesRequestBody;
}

type ReasoningItem = {
  id: string;
  type: "reasoning";
  summary: { type: "summary_text"; text: string }[];
  /** The model's own reasoning, as OpenAI streams it for open-weight models (`include_reasoning`). */
  content?: { type: "reasoning_text"; text: string }[];
  status: "in_progress" | "completed";
};

type OutputItem =
  | ReasoningItem
  | {
      id: string;
      type: "message";
      role: "assistant";
      status: "in_progress" | "completed" | "incomplete";
      content: { type: "output_text"; text: string; annotations: UrlCitationAnnotation[]; logprobs: unknown[] }[];
    }
  | { id: string; type: "function_call"; call_id: string; name: string; arguments: string; status: "in_progress" | "completed" };

/**
 * The output of one response as it grows; both the streamed encoder and the collected
 * `stream:false` answer build their response object with it, so the two cannot disagree.
 */
class ResponseBuilder {
  readonly output: OutputItem[] = [];
  private reasoning: ReasoningItem | undefined;
  private message: Extract<OutputItem, { type: "message" }> | undefined;
  private readonly calls = new Map<number, Extract<OutputItem, { type: "function_call" }>>();
  /** Research mode: what the answer's `[n]` refer to. */
  sources: readonly Source[] = [];

  constructor(private readonly ctx: ResponsesContext) {}

  /** Adds a summary part; returns the reasoning item's output index and the part's summary index. */
  summaryPart(text: string): { item: ReasoningItem; outputIndex: number; summaryIndex: number; added: boolean } {
    const { item, added } = this.reasoningItem();
    item.summary.push({ type: "summary_text", text });
    return { item, outputIndex: this.output.indexOf(item), summaryIndex: item.summary.length - 1, added };
  }

  /** Adds raw reasoning text to the reasoning item's one `reasoning_text` part (opening either as needed). */
  reasoningText(delta: string): { item: ReasoningItem; outputIndex: number; added: boolean; partAdded: boolean } {
    const { item, added } = this.reasoningItem();
    const partAdded = item.content === undefined;
    item.content ??= [{ type: "reasoning_text", text: "" }];
    const part = item.content[0];
    if (part) part.text += delta;
    return { item, outputIndex: this.output.indexOf(item), added, partAdded };
  }

  private reasoningItem(): { item: ReasoningItem; added: boolean } {
    const added = this.reasoning === undefined;
    this.reasoning ??= this.push({ id: `rs_${this.ctx.requestId}`, type: "reasoning", summary: [], status: "in_progress" });
    return { item: this.reasoning, added };
  }

  /** The reasoning item, once reasoning is over; undefined when there was none. */
  closeReasoning(): { item: ReasoningItem; outputIndex: number } | undefined {
    if (!this.reasoning || this.reasoning.status === "completed") return undefined;
    this.reasoning.status = "completed";
    return { item: this.reasoning, outputIndex: this.output.indexOf(this.reasoning) };
  }

  text(delta: string): { item: Extract<OutputItem, { type: "message" }>; outputIndex: number; added: boolean } {
    const added = this.message === undefined;
    this.message ??= this.push({
      id: `msg_${this.ctx.requestId}`,
      type: "message",
      role: "assistant",
      status: "in_progress",
      content: [{ type: "output_text", text: "", annotations: [], logprobs: [] }],
    });
    const part = this.message.content[0];
    if (part) part.text += delta;
    return { item: this.message, outputIndex: this.output.indexOf(this.message), added };
  }

  toolFragment(f: ToolCallDelta): { item: Extract<OutputItem, { type: "function_call" }>; outputIndex: number; added: boolean } {
    let item = this.calls.get(f.index);
    const added = item === undefined;
    if (!item) {
      item = this.push({
        id: `fc_${this.ctx.requestId}_${f.index}`,
        type: "function_call",
        call_id: f.id ?? "",
        name: f.function?.name ?? "",
        arguments: "",
        status: "in_progress",
      });
      this.calls.set(f.index, item);
    } else {
      if (f.id && !item.call_id) item.call_id = f.id;
      if (f.function?.name && !item.name) item.name = f.function.name;
    }
    if (f.function?.arguments) item.arguments += f.function.arguments;
    return { item, outputIndex: this.output.indexOf(item), added };
  }

  /**
   * Every item still open, in output order, marked completed (or incomplete); the answer gets
   * its citations, computed on the final text.
   */
  closeAll(incomplete: boolean): { item: OutputItem; outputIndex: number }[] {
    const closed: { item: OutputItem; outputIndex: number }[] = [];
    this.output.forEach((item, outputIndex) => {
      if (item.status !== "in_progress") return;
      item.status = item.type === "message" && incomplete ? "incomplete" : "completed";
      if (item.type === "message")
        for (const part of item.content) part.annotations = urlCitations(findCitations(part.text, this.sources.length), this.sources);
      closed.push({ item, outputIndex });
    });
    return closed;
  }

  object(
    status: "in_progress" | "completed" | "incomplete" | "failed",
    extra: { usage?: Usage | undefined; error?: { code: string; message: string }; validation?: ValidationReport | undefined } = {},
  ) {
    const b = this.ctx.body;
    return {
      id: `resp_${this.ctx.requestId}`,
      object: "response",
      created_at: this.ctx.createdSeconds,
      status,
      error: extra.error ?? null,
      incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
      instructions: b.instructions ?? null,
      max_output_tokens: b.max_output_tokens ?? null,
      model: this.ctx.model,
      output: this.output,
      parallel_tool_calls: b.parallel_tool_calls ?? true,
      previous_response_id: null,
      reasoning: { effort: b.reasoning?.effort ?? null, summary: b.reasoning?.summary ?? "auto" },
      store: false,
      temperature: b.temperature ?? null,
      text: { format: b.text?.format ?? { type: "text" } },
      tool_choice: b.tool_choice ?? "auto",
      tools: b.tools ?? [],
      top_p: b.top_p ?? null,
      truncation: "disabled",
      usage: extra.usage ? responsesUsage(extra.usage) : null,
      user: b.user ?? null,
      metadata: b.metadata ?? {},
      ...(extra.validation && { validation: extra.validation }),
    };
  }

  private push<T extends OutputItem>(item: T): T {
    this.output.push(item);
    return item;
  }
}

/** Chat usage → Responses usage, with reasoning tokens when the upstream reported them. */
function responsesUsage(u: Usage) {
  const input = typeof u.prompt_tokens === "number" ? u.prompt_tokens : 0;
  const output = typeof u.completion_tokens === "number" ? u.completion_tokens : 0;
  const details = u.completion_tokens_details as { reasoning_tokens?: unknown } | undefined;
  const cached = (u.prompt_tokens_details as { cached_tokens?: unknown } | undefined)?.cached_tokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: typeof cached === "number" ? cached : 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: typeof details?.reasoning_tokens === "number" ? details.reasoning_tokens : 0 },
    total_tokens: typeof u.total_tokens === "number" ? u.total_tokens : input + output,
  };
}

/** The streamed Responses events, in the order openai-node's `ResponseStream` accumulator expects. */
export function responsesEncoder(ctx: ResponsesContext): StreamEncoder {
  const out = new ResponseBuilder(ctx);
  let seq = 0;
  let started = false;
  // The messages of the event being encoded go here; set by each entry point.
  let sink: SseOut = () => undefined;
  const send = (type: string, data: Record<string, unknown>): void => sink({ event: type, data: JSON.stringify({ type, sequence_number: seq++, ...data }) });
  /** `response.created` and `response.in_progress` come before anything else. */
  const start = (to: SseOut): void => {
    sink = to;
    if (started) return;
    started = true;
    send("response.created", { response: out.object("in_progress") });
    send("response.in_progress", { response: out.object("in_progress") });
  };

  function summaryPart(text: string): void {
    if (text === "") return;
    const p = out.summaryPart(text);
    const at = { item_id: p.item.id, output_index: p.outputIndex, summary_index: p.summaryIndex };
    if (p.added) send("response.output_item.added", { output_index: p.outputIndex, item: { ...p.item, summary: [] } });
    send("response.reasoning_summary_part.added", { ...at, part: { type: "summary_text", text: "" } });
    send("response.reasoning_summary_text.delta", { ...at, delta: text });
    send("response.reasoning_summary_text.done", { ...at, text });
    send("response.reasoning_summary_part.done", { ...at, part: { type: "summary_text", text } });
  }

  function reasoningText(delta: string): void {
    if (delta === "") return;
    const r = out.reasoningText(delta);
    const at = { item_id: r.item.id, output_index: r.outputIndex, content_index: 0 };
    if (r.added) send("response.output_item.added", { output_index: r.outputIndex, item: { ...r.item, summary: [], content: [] } });
    if (r.partAdded) send("response.content_part.added", { ...at, part: { type: "reasoning_text", text: "" } });
    send("response.reasoning_text.delta", { ...at, delta });
  }

  function closeReasoning(): void {
    const r = out.closeReasoning();
    if (!r) return;
    const part = r.item.content?.[0];
    const at = { item_id: r.item.id, output_index: r.outputIndex, content_index: 0 };
    if (part) {
      send("response.reasoning_text.done", { ...at, text: part.text });
      send("response.content_part.done", { ...at, part });
    }
    send("response.output_item.done", { output_index: r.outputIndex, item: r.item });
  }

  function text(delta: string): void {
    const m = out.text(delta);
    if (m.added) {
      send("response.output_item.added", { output_index: m.outputIndex, item: { ...m.item, content: [] } });
      send("response.content_part.added", {
        item_id: m.item.id,
        output_index: m.outputIndex,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [], logprobs: [] },
      });
    }
    send("response.output_text.delta", { item_id: m.item.id, output_index: m.outputIndex, content_index: 0, delta, logprobs: [] });
  }

  function tools(fragments: ToolCallDelta[]): void {
    for (const f of fragments) {
      const c = out.toolFragment(f);
      if (c.added) send("response.output_item.added", { output_index: c.outputIndex, item: { ...c.item, arguments: "" } });
      if (f.function?.arguments)
        send("response.function_call_arguments.delta", { item_id: c.item.id, output_index: c.outputIndex, delta: f.function.arguments });
    }
  }

  function done(e: Extract<StagedEvent, { event: "output.done" }>): void {
    const incomplete = e.data.finish_reason === "length";
    closeReasoning();
    for (const { item, outputIndex } of out.closeAll(incomplete)) {
      if (item.type === "message") {
        const part = item.content[0];
        part?.annotations.forEach((annotation, annotationIndex) => {
          send("response.output_text.annotation.added", {
            item_id: item.id,
            output_index: outputIndex,
            content_index: 0,
            annotation_index: annotationIndex,
            annotation,
          });
        });
        send("response.output_text.done", { item_id: item.id, output_index: outputIndex, content_index: 0, text: part?.text ?? "", logprobs: [] });
        send("response.content_part.done", { item_id: item.id, output_index: outputIndex, content_index: 0, part });
      } else if (item.type === "function_call") {
        send("response.function_call_arguments.done", { item_id: item.id, output_index: outputIndex, name: item.name, arguments: item.arguments });
      }
      send("response.output_item.done", { output_index: outputIndex, item });
    }
    const status = incomplete ? "incomplete" : "completed";
    send(`response.${status}`, { response: out.object(status, { usage: e.data.usage, validation: e.data.validation }) });
  }

  return {
    event(e: StagedEvent, to: SseOut): void {
      start(to);
      switch (e.event) {
        case "summary.prompt":
        case "summary.progress":
          return summaryPart(e.data.text);
        case "summary.reasoning":
          summaryPart(e.data.text);
          return closeReasoning();
        case "reasoning.delta":
          return reasoningText(e.data.text);
        case "output.delta":
          return text(e.data.text);
        case "output.tool_calls":
          return tools(e.data.tool_calls);
        case "output.done":
          return done(e);
        case "upstream.retry":
          return to({ comment: `upstream retry ${e.data.attempt}/${e.data.max_retries} (${e.data.code.replace(/[\r\n]+/g, " ")})` });
        case "research.sources":
          out.sources = e.data.sources;
          return;
        case "error":
          return;
      }
    },
    failure(f: Failure, to: SseOut): void {
      start(to);
      send("error", { code: f.code, message: f.message, param: f.param ?? null });
      send("response.failed", { response: out.object("failed", { error: { code: f.code, message: f.message } }) });
    },
    end: () => undefined,
  };
}

/** The non-streamed response object, built from a collected run. */
export function responsesObject(ctx: ResponsesContext, r: Collected) {
  const out = new ResponseBuilder(ctx);
  out.sources = r.sources;
  for (const text of [r.promptSummary?.text, ...r.progress.map((p) => p.text), r.reasoningSummary?.text]) if (text) out.summaryPart(text);
  if (r.reasoning !== "") out.reasoningText(r.reasoning);
  if (r.answer !== "" || r.toolCalls.length === 0) out.text(r.answer);
  r.toolCalls.forEach((c, index) =>
    out.toolFragment({ index, id: c.id, type: "function", function: { name: c.function.name, arguments: c.function.arguments } }),
  );
  const incomplete = r.finishReason === "length";
  out.closeReasoning();
  out.closeAll(incomplete);
  return out.object(incomplete ? "incomplete" : "completed", { usage: r.usage, validation: r.validation });
}
