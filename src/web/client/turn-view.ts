import type { Turn } from "./conversation.js";
import { copyButton } from "./copy.js";
import { h, show } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { hasThinking, notReached, prettyJson, thinkingClock, thinkingExtras, timingLine } from "./turn-text.js";

/*
 * One turn on the page, laid out the way chat apps do: the question; a thinking block (prompt
 * summary, live notes, reasoning summary) that folds into "Thought for 20 s" once the turn is
 * done and stays above the answer; then the answer. `sync()` makes the DOM match the turn, so a
 * live turn (synced after every event) and one restored from history (synced once) take the same
 * path. Costly or stateful parts — the Markdown answer, the notes, open/closed blocks — are
 * touched only when their data changed.
 */

/** What the turn's buttons ask the page to do. */
export interface TurnActions {
  /** Send the turn's prompt again in its place (Retry after a failure, Regenerate after an answer). */
  again(turn: Turn): void;
  /** Replace the turn (and every later one) with a new prompt. */
  edit(turn: Turn, prompt: string): void;
}

/** Where the turn stands in the page: only the last turn can be sent again, and nothing while a request runs. */
export interface TurnContext {
  last: boolean;
  busy: boolean;
}

export interface TurnView {
  readonly el: HTMLElement;
  /** Brings the DOM up to date; `now` (epoch ms) drives the thinking timer. */
  sync(now: number, ctx: TurnContext): void;
}

// A badge only for endings the answer itself does not explain: a failure has its error box.
const MARKERS: Record<Turn["status"], string> = { streaming: "", done: "", failed: "", stopped: "stopped", interrupted: "interrupted" };

/** The question, with an Edit button that turns it into a small form (Enter sends, Esc cancels). */
function userMessage(turn: Turn, actions: TurnActions) {
  const bubble = h("p", { class: "bubble", text: turn.prompt });
  const editButton = h("button", { class: "link-button edit", text: "Edit", attrs: { type: "button", "aria-label": "Edit this message and send it again" } });
  const box = h("textarea", { class: "edit-box", attrs: { rows: "3", "aria-label": "edit your message" } });
  const cancel = h("button", { text: "Cancel", attrs: { type: "button" } });
  const send = h("button", { class: "primary", text: "Send", attrs: { type: "submit" } });
  const form = h("form", { class: "edit-form" }, box, h("div", { class: "edit-actions" }, cancel, send));
  const el = h("div", { class: "msg-user" }, bubble, form, h("div", { class: "user-actions" }, editButton));
  const editing = (on: boolean): void => {
    show(form, on);
    show(bubble, !on);
    show(editButton, !on);
    if (on) {
      box.value = turn.prompt;
      box.focus();
    }
  };
  editing(false);
  editButton.addEventListener("click", () => editing(true));
  cancel.addEventListener("click", () => editing(false));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (box.value.trim() !== "") actions.edit(turn, box.value);
  });
  box.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      editing(false);
    } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  return { el, editButton };
}

export function createTurnView(turn: Turn, actions: TurnActions): TurnView {
  const user = userMessage(turn, actions);

  // The thinking block: its title is the timer ("Thinking for 12 s" → "Thought for 20 s").
  const timer = h("span", { class: "timer" });
  const extras = h("span", { class: "extras" });
  const stagesTitle = h("summary", { class: "stages-title" }, timer, extras);

  const promptTag = h("span", { class: "tag" });
  const promptBody = h("div", { class: "stage-body md" });
  const promptWait = h("p", { class: "waiting" });
  const promptNote = h("p", { class: "stage-note stage-error" });
  const promptStage = h("section", { class: "stage stage-prompt" }, h("h3", {}, "What you asked ", promptTag), promptWait, promptBody, promptNote);

  const sourceList = h("ol", { class: "sources" });
  const sourcesStage = h("section", { class: "stage stage-sources" }, h("h3", { text: "Sources" }), sourceList);

  const reasoningTag = h("span", { class: "tag" });
  const progressList = h("ol", { class: "progress" });
  const progressTitle = h("summary", { text: "Notes while it thinks" });
  const progressLog = h("details", { class: "progress-log", attrs: { open: "" } }, progressTitle, progressList);
  const reasoningWait = h("p", { class: "waiting" });
  const reasoningBody = h("div", { class: "stage-body md final-summary" });
  const reasoningNote = h("p", { class: "stage-note stage-error" });
  const reasoningStage = h(
    "section",
    { class: "stage stage-reasoning" },
    h("h3", {}, "Reasoning ", reasoningTag),
    progressLog,
    reasoningWait,
    reasoningBody,
    reasoningNote,
  );

  const stages = h("details", { class: "stages" }, stagesTitle, promptStage, sourcesStage, reasoningStage);
  // Open while it happens; a finished turn restored from history starts folded.
  stages.open = turn.status === "streaming";

  // The answer.
  const marker = h("span", { class: "marker" });
  const retryNote = h("p", { class: "retry-note", attrs: { role: "status" } });
  const toolCalls = h("div", { class: "tool-calls" });
  const answer = h("div", { class: "answer md" });
  const answerWait = h("p", { class: "waiting" });
  const turnError = h("p", { class: "error-text turn-error" });
  const retry = h("button", { class: "retry primary", text: "Retry", attrs: { type: "button" } });
  const failure = h("div", { class: "turn-failure", attrs: { role: "alert" } }, turnError, retry);
  const timings = h("span", { class: "timings" });
  const copyAnswer = copyButton("Copy answer", () => turn.answer, "copy-answer");
  const regenerate = h("button", { class: "copy regenerate", text: "Regenerate", attrs: { type: "button", "aria-label": "Regenerate this answer" } });
  const foot = h("div", { class: "turn-foot" }, copyAnswer, regenerate, timings);
  const answerBlock = h(
    "section",
    { class: "answer-block", attrs: { "aria-label": "answer" } },
    marker,
    retryNote,
    toolCalls,
    answerWait,
    answer,
    failure,
    foot,
  );
  retry.addEventListener("click", () => actions.again(turn));
  regenerate.addEventListener("click", () => actions.again(turn));

  const el = h("article", { class: "turn", data: { turnId: turn.id } }, user.el, h("div", { class: "msg-assistant" }, stages, answerBlock));

  // What was last drawn, so unchanged parts are left alone.
  let drawnAnswer: string | null = null;
  let answerFrame = 0;
  let drawnProgress = 0;
  let drawnReasoning: string | null = null;
  let drawnPrompt: string | null = null;
  let drawnTools = "";
  let drawnSources = -1;
  let settled = turn.status !== "streaming";

  function drawAnswer(): void {
    answerFrame = 0;
    if (drawnAnswer === turn.answer) return;
    drawnAnswer = turn.answer;
    renderMarkdown(answer, turn.answer);
    answer.dataset.chars = String(turn.answer.length);
  }

  function syncThinking(now: number, reason: string): void {
    const clock = thinkingClock(turn, now);
    timer.textContent = clock.text;
    timer.dataset.running = String(clock.running);
    timer.dataset.seconds = clock.ms === null ? "" : String(Math.floor(clock.ms / 1000));
    extras.textContent = thinkingExtras(turn)
      .map((b) => ` · ${b}`)
      .join("");
    show(stages, hasThinking(turn));

    const p = turn.promptSummary;
    const streaming = turn.status === "streaming";
    const promptErr = turn.stageErrors.find((e) => e.stage === "prompt_summary");
    promptStage.dataset.state = p ? (p.source === "fallback" ? "fallback" : "filled") : streaming ? "waiting" : "skipped";
    promptTag.textContent = p?.source === "fallback" ? "fallback" : "";
    promptWait.textContent = p ? "" : streaming ? "Summarising your question…" : reason;
    show(promptWait, !p);
    if (p && drawnPrompt !== p.text) {
      drawnPrompt = p.text;
      renderMarkdown(promptBody, p.text);
    }
    promptNote.textContent = promptErr
      ? `The summary model failed (${promptErr.code}: ${promptErr.message}); this is the first sentence of your question instead.`
      : "";
    show(promptNote, Boolean(promptErr));

    const r = turn.reasoning;
    const thinking = streaming && !r;
    const reasonErr = turn.stageErrors.find((e) => e.stage === "reasoning_summary");
    reasoningStage.dataset.state = r ? (r.source === "fallback" ? "fallback" : r.source === "empty" ? "empty" : "filled") : streaming ? "thinking" : "skipped";
    reasoningTag.textContent = r?.source === "fallback" ? "fallback" : "";
    for (; drawnProgress < turn.progress.length; drawnProgress++) {
      const note = turn.progress[drawnProgress];
      if (!note) break;
      const body = h("div", { class: "md" });
      renderMarkdown(body, note.text);
      progressList.append(h("li", { data: { index: String(note.index) } }, h("span", { class: "at", text: `${Math.floor(note.atMs / 1000)} s` }), body));
    }
    const notes = turn.progress.length;
    show(progressLog, notes > 0);
    progressTitle.textContent = thinking ? "Notes while it thinks" : `${notes} note${notes === 1 ? "" : "s"} while it thought`;
    if (r && drawnReasoning === null) progressLog.open = false; // the notes fold into the final summary, once
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
    reasoningNote.textContent = reasonErr
      ? `The summary model failed (${reasonErr.code}: ${reasonErr.message}); these are the reasoning's first sentences instead.`
      : "";
    show(reasoningNote, Boolean(reasonErr));
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

  function syncAnswer(reason: string, ctx: TurnContext): void {
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
        ...turn.toolCalls.map((c) =>
          h("div", { class: "tool-call" }, h("code", { class: "tool-name", text: c.name || "(unnamed)" }), h("pre", { text: prettyJson(c.arguments) })),
        ),
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
    // While the answer is held back the thinking block is the live part: no answer box, no badge.
    show(answerBlock, !streaming || hasOutput || turn.reasoning !== null || turn.retry !== null);
    const wait = hasOutput
      ? ""
      : streaming
        ? turn.reasoning
          ? "Writing the answer…"
          : ""
        : turn.status === "done"
          ? "The model returned no answer text."
          : turn.status === "failed"
            ? "" // the error says it
            : reason;
    answerWait.textContent = wait;
    show(answerWait, wait !== "");

    turnError.textContent = turn.failure ?? (turn.status === "failed" ? "The request failed." : "");
    show(failure, turn.status === "failed");
    show(retry, ctx.last && !ctx.busy);
    show(copyAnswer, turn.answer !== "");
    show(regenerate, ctx.last && !ctx.busy && (turn.status === "done" || turn.status === "stopped" || turn.status === "interrupted"));
    show(user.editButton, !ctx.busy && !user.el.querySelector("form:not([hidden])"));
    timings.textContent = turn.timings ? timingLine(turn.timings, turn.route ? turn.route.provider : null) : "";
    show(foot, !streaming);
  }

  return {
    el,
    sync(now, ctx) {
      const reason = notReached(turn);
      syncSources();
      syncThinking(now, reason);
      syncAnswer(reason, ctx);
      if (turn.status !== "streaming" && !settled) {
        // Done with an answer: the thinking block folds, in its place above the answer. Without
        // one it stays open, saying why it is empty.
        settled = true;
        if (turn.answer !== "" || turn.toolCalls.length > 0) stages.open = false;
      }
    },
  };
}
