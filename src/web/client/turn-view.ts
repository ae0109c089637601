import type { Timings } from "../../events/types.js";
import type { Turn } from "./conversation.js";
import { copyButton } from "./copy.js";
import { h, show } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

/*
 * One turn on the page. `sync()` makes the DOM match the turn, so a live turn (synced after every
 * event) and one restored from history (synced once) take the same path. Parts that are costly
 * or stateful — the Markdown answer, the progress list, open/closed sections — are touched only
 * when their data changed.
 */

export interface TurnView {
  readonly el: HTMLElement;
  /** Brings the DOM up to date; `now` (epoch ms) drives the thinking timer. */
  sync(now: number): void;
}

const MINUTE = 60_000;

/** "12 s", "1 min 5 s". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return ms < MINUTE ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const secs = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

function timingLine(t: Timings, via: string | null): string {
  const parts: string[] = [];
  const add = (label: string, ms: number | null | undefined) => {
    const v = secs(ms);
    if (v !== null) parts.push(`${label} ${v}`);
  };
  add("prompt summary", t.prompt_summary);
  add("reasoning summary", t.reasoning_summary);
  add("first answer text", t.first_output);
  add("total", t.total);
  if (via) parts.push(`via ${via}`);
  return parts.join(" · ");
}

/** Why a section that never filled will stay empty, in words. */
function notReached(turn: Turn): string {
  switch (turn.status) {
    case "stopped":
      return "Not reached: you stopped the request.";
    case "interrupted":
      return "Not reached: the page was reloaded while this answer was streaming.";
    case "failed":
      return turn.requestId === null && turn.promptSummary === null
        ? "Never started: the request failed before any stage ran (the error is below)."
        : "Not reached: the request failed first (the error is below).";
    default:
      return "";
  }
}

const MARKERS: Record<Turn["status"], string> = { streaming: "streaming…", done: "", failed: "failed", stopped: "stopped", interrupted: "interrupted" };

export function createTurnView(turn: Turn): TurnView {
  // Stage 1
  const promptTag = h("span", { class: "tag" });
  const promptBody = h("div", { class: "stage-body md" });
  const promptWait = h("p", { class: "waiting" });
  const promptErr = h("p", { class: "error-text stage-error", attrs: { role: "alert" } });
  const promptStage = h("section", { class: "stage stage-prompt" }, h("h3", {}, "1 · What you asked ", promptTag), promptWait, promptBody, promptErr);

  // Research sources (only in research mode)
  const sourceList = h("ol", { class: "sources" });
  const sourcesStage = h("section", { class: "stage stage-sources" }, h("h3", { text: "Sources" }), sourceList);

  // Stage 2: the live timeline
  const timer = h("span", { class: "timer" });
  const reasoningTag = h("span", { class: "tag" });
  const progressList = h("ol", { class: "progress" });
  const progressTitle = h("summary", { text: "Notes while it thinks" });
  const progressLog = h("details", { class: "progress-log", attrs: { open: "" } }, progressTitle, progressList);
  const reasoningWait = h("p", { class: "waiting" });
  const reasoningBody = h("div", { class: "stage-body md final-summary" });
  const reasoningErr = h("p", { class: "error-text stage-error", attrs: { role: "alert" } });
  const reasoningStage = h(
    "section",
    { class: "stage stage-reasoning" },
    h("h3", {}, "2 · Reasoning ", reasoningTag, timer),
    progressLog,
    reasoningWait,
    reasoningBody,
    reasoningErr,
  );

  const stagesTitle = h("summary", { class: "stages-title" });
  const stages = h("details", { class: "stages", attrs: { open: "" } }, stagesTitle, promptStage, sourcesStage, reasoningStage);

  // Stage 3: the answer
  const marker = h("span", { class: "marker" });
  const retryNote = h("p", { class: "retry-note", attrs: { role: "status" } });
  const toolCalls = h("div", { class: "tool-calls" });
  const answer = h("div", { class: "answer md" });
  const answerWait = h("p", { class: "waiting" });
  const turnError = h("p", { class: "error-text turn-error", attrs: { role: "alert" } });
  const timings = h("span", { class: "timings" });
  const copyAnswer = copyButton("Copy answer", () => turn.answer, "copy-answer");
  const foot = h("div", { class: "turn-foot" }, copyAnswer, timings);
  const answerBlock = h("section", { class: "answer-block" }, h("h3", {}, "3 · Answer ", marker), retryNote, toolCalls, answerWait, answer, turnError, foot);

  const el = h(
    "article",
    { class: "turn", data: { turnId: turn.id } },
    h("div", { class: "msg-user" }, h("p", { class: "bubble", text: turn.prompt })),
    h("div", { class: "msg-assistant" }, stages, answerBlock),
  );

  // What was last drawn, so unchanged parts are left alone.
  let drawnAnswer: string | null = null;
  let answerFrame = 0;
  let drawnProgress = 0;
  let drawnReasoning: string | null = null;
  let drawnPrompt: string | null = null;
  let drawnTools = "";
  let drawnSources = -1;
  let settled = false;

  function drawAnswer(): void {
    answerFrame = 0;
    if (drawnAnswer === turn.answer) return;
    drawnAnswer = turn.answer;
    renderMarkdown(answer, turn.answer);
    answer.dataset.chars = String(turn.answer.length);
  }

  function syncPrompt(reason: string): void {
    const p = turn.promptSummary;
    const err = turn.stageErrors.find((e) => e.stage === "prompt_summary");
    promptStage.dataset.state = p ? (p.source === "fallback" ? "fallback" : "filled") : turn.status === "streaming" ? "waiting" : "skipped";
    promptTag.textContent = p?.source === "fallback" ? "fallback" : "";
    promptWait.textContent = p ? "" : turn.status === "streaming" ? "Summarising your question…" : reason;
    show(promptWait, !p);
    if (p && drawnPrompt !== p.text) {
      drawnPrompt = p.text;
      renderMarkdown(promptBody, p.text);
    }
    promptErr.textContent = err ? `The summary model failed (${err.code}: ${err.message}); this is the first sentence of your question instead.` : "";
    show(promptErr, Boolean(err));
  }

  function syncReasoning(now: number, reason: string): void {
    const r = turn.reasoning;
    const streaming = turn.status === "streaming";
    const err = turn.stageErrors.find((e) => e.stage === "reasoning_summary");
    reasoningStage.dataset.state = r ? (r.source === "fallback" ? "fallback" : r.source === "empty" ? "empty" : "filled") : streaming ? "thinking" : "skipped";
    reasoningTag.textContent = r?.source === "fallback" ? "fallback" : "";

    // The timer: running while the model thinks, frozen once the summary is out.
    const thinking = streaming && !r;
    const ms = r ? turn.thinkingMs : thinking ? now - turn.startedAt : null;
    timer.dataset.running = String(thinking);
    timer.dataset.seconds = ms === null ? "" : String(Math.floor(ms / 1000));
    timer.textContent = ms === null ? "" : thinking ? `thinking for ${duration(ms)}` : `thought for ${duration(ms)}`;

    for (; drawnProgress < turn.progress.length; drawnProgress++) {
      const note = turn.progress[drawnProgress];
      if (!note) break;
      const body = h("div", { class: "md" });
      renderMarkdown(body, note.text);
      progressList.append(h("li", { data: { index: String(note.index) } }, h("span", { class: "at", text: duration(note.atMs) }), body));
    }
    const notes = turn.progress.length;
    show(progressLog, notes > 0);
    progressTitle.textContent = thinking ? "Notes while it thinks" : `${notes} note${notes === 1 ? "" : "s"} while it thought`;
    if (r && drawnReasoning === null) progressLog.open = false; // collapse the timeline into the final summary, once

    if (r && drawnReasoning !== r.text) {
      drawnReasoning = r.text;
      if (r.source === "empty" || r.text === "") reasoningBody.textContent = "The model produced no reasoning for this answer.";
      else renderMarkdown(reasoningBody, r.text);
    }
    const wait = thinking
      ? notes > 0
        ? ""
        : "The model is thinking. Notes appear here as it works; its reasoning is summarised when it is done."
      : r
        ? ""
        : reason;
    reasoningWait.textContent = wait;
    show(reasoningWait, wait !== "");
    reasoningErr.textContent = err ? `The summary model failed (${err.code}: ${err.message}); these are the reasoning's first sentences instead.` : "";
    show(reasoningErr, Boolean(err));
  }

  function syncAnswer(reason: string): void {
    const streaming = turn.status === "streaming";
    el.dataset.status = turn.status;
    marker.textContent = MARKERS[turn.status];
    marker.dataset.status = turn.status;
    retryNote.textContent = turn.retry ?? "";
    show(retryNote, turn.retry !== null);

    const tools = JSON.stringify(turn.toolCalls);
    if (tools !== drawnTools) {
      drawnTools = tools;
      toolCalls.replaceChildren(
        ...(turn.toolCalls.length > 0 ? [h("h4", { text: "Tool calls" })] : []),
        ...turn.toolCalls.map((c) => h("div", { class: "tool-call" }, h("code", { class: "tool-name", text: c.name || "(unnamed)" }), h("pre", { text: prettyJson(c.arguments) }))),
      );
    }
    show(toolCalls, turn.toolCalls.length > 0);

    if (turn.answer !== drawnAnswer && answerFrame === 0) {
      // At most one Markdown render per frame however fast the deltas come; a settled turn renders now.
      if (streaming) answerFrame = requestAnimationFrame(drawAnswer);
      else drawAnswer();
    } else if (!streaming && answerFrame !== 0) {
      cancelAnimationFrame(answerFrame);
      drawAnswer();
    }
    const hasOutput = turn.answer !== "" || turn.toolCalls.length > 0;
    const wait = hasOutput
      ? ""
      : streaming
        ? turn.reasoning
          ? "Writing the answer…"
          : "The answer is held back until the reasoning summary is out."
        : turn.status === "done"
          ? "The model returned no answer text."
          : reason;
    answerWait.textContent = wait;
    show(answerWait, wait !== "");
    turnError.textContent = turn.failure ?? "";
    show(turnError, turn.failure !== null);
    show(copyAnswer, turn.answer !== "");
    timings.textContent = turn.timings ? timingLine(turn.timings, turn.route ? `${turn.route.provider}` : null) : "";
  }

  function syncSources(): void {
    if (drawnSources === turn.sources.length) return;
    drawnSources = turn.sources.length;
    sourceList.replaceChildren(
      ...turn.sources.map((src) => {
        const safe = /^https?:\/\//i.test(src.url);
        const title = safe
          ? h("a", { text: src.title || src.url, attrs: { href: src.url, target: "_blank", rel: "noopener noreferrer" } })
          : h("span", { text: src.title || src.url });
        return h("li", { attrs: { value: String(src.index) } }, title, h("p", { class: "snippet", text: src.snippet }));
      }),
    );
    show(sourcesStage, turn.sources.length > 0);
  }

  function syncTitle(): void {
    const bits: string[] = [];
    if (turn.thinkingMs !== null) bits.push(`thought for ${duration(turn.thinkingMs)}`);
    if (turn.progress.length > 0) bits.push(`${turn.progress.length} note${turn.progress.length === 1 ? "" : "s"}`);
    if (turn.sources.length > 0) bits.push(`${turn.sources.length} sources`);
    if (turn.promptSummary?.source === "fallback" || turn.reasoning?.source === "fallback") bits.push("a summary fell back");
    stagesTitle.textContent = ["Prompt summary and reasoning", ...bits].join(" · ");
  }

  return {
    el,
    sync(now) {
      const reason = notReached(turn);
      syncPrompt(reason);
      syncSources();
      syncReasoning(now, reason);
      syncAnswer(reason);
      syncTitle();
      if (turn.status !== "streaming" && !settled) {
        // Finished with an answer: the stages fold away under it. Without one they stay open
        // where they are, above the error, saying why they are empty.
        settled = true;
        if (turn.answer !== "" || turn.toolCalls.length > 0) {
          answerBlock.after(stages);
          stages.open = false;
        }
      }
    },
  };
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // still streaming, or not JSON: show it as it came
  }
}
