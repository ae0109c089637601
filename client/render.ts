import type { StagedEvent, Timings } from "../src/events/index.js";
import { inlineMarkdown } from "./inline-markdown.js";
import type { Output } from "./output.js";
import { createToolCallAssembler, formatRetry, formatSources, formatToolCalls } from "./render-parts.js";

export const HEADINGS = {
  prompt: "=== 1) Summary of the prompt ===",
  reasoning: "=== 2) Summary of the model's reasoning ===",
  output: "=== 3) The model's final output ===",
} as const;

/** Turns staged events into what the user sees. */
export interface Renderer {
  /** The request is on its way: show that we are waiting. */
  start(): void;
  event(ev: StagedEvent, raw: unknown): void;
  /** Stop the spinner and end a half-written answer line, whatever happened. */
  finish(): void;
}

/** `312 ms` below a second, `2.41 s` above: the two scales a staged answer spans. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The footer's timing line: the client's time to first event, then the gateway's stage timings. */
export function formatTimings(t: Timings, firstEventMs: number | undefined): string {
  const parts: string[] = [];
  if (firstEventMs !== undefined) parts.push(`first event ${formatMs(firstEventMs)} (client)`);
  const stages: [string, number | null][] = [
    ["prompt summary", t.prompt_summary],
    ["reasoning end", t.reasoning_end],
    ["reasoning summary", t.reasoning_summary],
    ["first output", t.first_output],
    ["total", t.total],
  ];
  for (const [label, ms] of stages) if (ms !== null) parts.push(`${label} ${formatMs(ms)}`);
  return `timings: ${parts.join(" · ")}`;
}

/** One JSON line per event, the data exactly as the gateway sent it (unknown fields included). */
export function createJsonRenderer(output: Output): Renderer {
  return {
    start() {},
    event(ev, raw) {
      output.jsonLine(ev.event, raw);
    },
    finish() {},
  };
}

/**
 * The human view: three numbered sections printed as their events arrive, the answer streamed
 * live, then `[done]` and a dim footer. Errors go to stderr so a redirected answer stays clean.
 */
export function createHumanRenderer(output: Output, clock: { now(): number; startedAt: number }, opts: { defaultModel?: string } = {}): Renderer {
  const s = output.outStyle;
  let firstEventAt: number | undefined;
  let answerStarted = false;
  let wroteAnswerText = false;
  // Progress summaries open section 2 before the reasoning summary does; it must not open it twice.
  let reasoningHeadingShown = false;
  const toolCalls = createToolCallAssembler();
  // Whether stdout ends mid-line: the answer streams without newlines of its own.
  let openLine = false;
  let waitingFor = "waiting for the prompt summary…";
  // When the current wait began (a `clock.now()` reading): a progress line or a summary error
  // interrupts the spinner, and its count must go on, not start again.
  let waitingSince = clock.startedAt;
  // The model starts reasoning when the request goes upstream (alongside the prompt summary),
  // and again after each upstream retry.
  let reasoningSince = clock.startedAt;
  const md = (text: string): string => inlineMarkdown(text, s);

  const section = (heading: string, body: string): void => {
    output.out(`${s.bold.cyan(heading)}\n${body}\n\n`);
  };
  const endLine = (): void => {
    if (openLine) output.out("\n");
    openLine = false;
  };
  const wait = (label: string, since: number): void => {
    waitingFor = label;
    waitingSince = since;
    output.spinner.start(label, since);
  };
  const reasoningHeading = (): void => {
    if (reasoningHeadingShown) return;
    reasoningHeadingShown = true;
    output.out(`${s.bold.cyan(HEADINGS.reasoning)}\n`);
  };
  const startAnswer = (): void => {
    if (answerStarted) return;
    answerStarted = true;
    output.out(`${s.bold.cyan(HEADINGS.output)}\n`);
  };

  return {
    start() {
      wait(waitingFor, waitingSince);
    },
    event(ev) {
      firstEventAt ??= clock.now();
      switch (ev.event) {
        case "summary.prompt": {
          const mark = ev.data.source === "fallback" ? ` ${s.dim.yellow("(fallback summary)")}` : "";
          section(HEADINGS.prompt, `${md(ev.data.text)}${mark}`);
          wait("the model is reasoning…", reasoningSince);
          break;
        }
        case "research.sources":
          output.out(`${s.dim(formatSources(ev.data.query, ev.data.sources))}\n\n`);
          break;
        case "summary.progress": {
          // Written as they arrive, under section 2: what the model is working through right now.
          reasoningHeading();
          const mark = ev.data.source === "fallback" ? ` ${s.dim.yellow("(fallback)")}` : "";
          output.out(`${s.dim(`… ${md(ev.data.text)}`)}${mark}\n`);
          wait("the model is reasoning…", reasoningSince);
          break;
        }
        case "summary.reasoning": {
          const empty = ev.data.source === "empty" || ev.data.text.trim() === "";
          const mark = ev.data.source === "fallback" ? ` ${s.dim.yellow("(fallback summary)")}` : "";
          reasoningHeading();
          output.out(`${empty ? s.dim("(no reasoning)") : `${md(ev.data.text)}${mark}`}\n\n`);
          wait("waiting for the answer…", clock.now());
          break;
        }
        case "output.tool_calls":
          startAnswer();
          toolCalls.add(ev.data.tool_calls);
          break;
        case "upstream.retry": {
          endLine();
          const line = formatRetry(ev.data);
          output.err(`${output.errStyle.yellow(`↻ ${line}`)}${ev.data.provider ? output.errStyle.dim(` (${ev.data.provider})`) : ""}\n`);
          reasoningSince = clock.now();
          wait(`${line}…`, reasoningSince);
          break;
        }
        case "output.delta":
          startAnswer();
          if (ev.data.text === "") break;
          wroteAnswerText = true;
          output.out(ev.data.text);
          openLine = !ev.data.text.endsWith("\n");
          break;
        case "output.done": {
          const calls = toolCalls.calls();
          if (!answerStarted) {
            startAnswer();
            output.out(`${s.dim("(empty answer)")}\n`);
          } else if (calls.length > 0 && !openLine && !wroteAnswerText) {
            // Tool calls alone: say there was no text, so the list below is not read as the answer.
            output.out(`${s.dim("(no text, only tool calls)")}\n`);
          }
          endLine();
          if (calls.length > 0) output.out(`${s.bold("tool calls:")}\n${formatToolCalls(calls)}\n`);
          const meta = [`request ${ev.data.request_id}`, `finish ${ev.data.finish_reason ?? "unknown"}`];
          const u = ev.data.usage;
          if (u?.prompt_tokens !== undefined && u.completion_tokens !== undefined) {
            meta.push(`tokens ${u.prompt_tokens} in / ${u.completion_tokens} out`);
          }
          if (ev.data.route) meta.push(`via ${ev.data.route.provider} (${ev.data.route.strategy})`);
          // No --model: say which one the gateway's list gave, so a surprise is visible.
          if (opts.defaultModel !== undefined) meta.push(`model ${opts.defaultModel} (the gateway's default)`);
          const firstMs = firstEventAt === undefined ? undefined : firstEventAt - clock.startedAt;
          output.out(`[done]\n${s.dim(formatTimings(ev.data.timings, firstMs))}\n${s.dim(meta.join(" · "))}\n`);
          break;
        }
        case "error": {
          endLine();
          const e = output.errStyle;
          const detail = e.dim(` (${ev.data.code}${ev.data.retryable ? ", retryable" : ""})`);
          output.err(`${e.red(`error [${ev.data.stage}]: ${ev.data.message}`)}${detail}\n`);
          // A summary error is followed by its fallback: keep showing that we are still waiting.
          if (!answerStarted && ev.data.stage !== "upstream") wait(waitingFor, waitingSince);
          break;
        }
      }
    },
    finish() {
      output.spinner.stop();
      endLine();
    },
  };
}
