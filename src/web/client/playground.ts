// First: configures zod before any schema is used (see the file).
import "./zod-csp.js";
import { createStagedClient, GatewayHttpError, GatewayStreamError, GatewayUnreachableError, type StagedClient } from "../../sdk/index.js";
import { applyEvent, endTurn, newTurn, toMessages, type Turn } from "./conversation.js";
import { currentOf, loadLibrary, newConversation, saveLibrary, titleOf, type Conversation } from "./conversations.js";
import { byId, show } from "./dom.js";
import { createModelPicker } from "./model-picker.js";
import { createSidebar } from "./sidebar.js";
import { createTurnView, type TurnView } from "./turn-view.js";

/*
 * The playground: conversations with the gateway, kept in localStorage and listed at the side.
 * Each prompt streams through the typed client (src/sdk), each staged event is folded into the
 * turn (conversation.ts) and the turn's view is synced. One request runs at a time; it goes on
 * when another conversation is opened. Stop (or Esc) asks the gateway to cancel the request (a
 * resumable stream would otherwise outlive its connection for RESUME_GRACE_SECONDS) and aborts
 * the fetch.
 */

const KEY_STORAGE = "gw-key"; // sessionStorage: the key lives as long as the tab

const form = byId("composer", HTMLFormElement);
const promptBox = byId("prompt", HTMLTextAreaElement);
const sendButton = byId("send", HTMLButtonElement);
const stopButton = byId("stop", HTMLButtonElement);
const statusLine = byId("status", HTMLElement);
const summaryModel = byId("summary-model", HTMLInputElement);
const keyInput = byId("key", HTMLInputElement);
const conversationEl = byId("conversation", HTMLElement);
const scroller = byId("scroller", HTMLElement);
const emptyState = byId("empty-state", HTMLElement);

keyInput.value = sessionStorage.getItem(KEY_STORAGE) ?? "";

/** A random id. Not crypto.randomUUID: that exists only in secure contexts, and a LAN gateway is plain http. */
function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

const lib = loadLibrary(localStorage, newId);
const views = new Map<Turn, TurnView>();
let running: { controller: AbortController; turn: Turn; conversation: Conversation; client: StagedClient; resumable?: boolean } | undefined;

const apiKey = (): string | undefined => keyInput.value.trim() || undefined;

const picker = createModelPicker({
  select: byId("model", HTMLSelectElement),
  custom: byId("model-custom", HTMLInputElement),
  note: byId("model-note", HTMLElement),
  datalist: byId("model-list", HTMLDataListElement),
  settings: byId("settings", HTMLDetailsElement),
  keysRequired: form.dataset.keysRequired === "true",
});

const sidebar = createSidebar(
  {
    list: byId("conversation-list", HTMLUListElement),
    empty: byId("conversation-empty", HTMLElement),
    toggle: byId("sidebar-toggle", HTMLButtonElement),
    close: byId("sidebar-close", HTMLButtonElement),
  },
  {
    open(id) {
      lib.currentId = id;
      save();
      renderAll();
      sidebar.setOpen(false);
      toBottom();
      promptBox.focus();
    },
    remove(id) {
      if (running?.conversation.id === id) stop();
      lib.conversations = lib.conversations.filter((c) => c.id !== id);
      if (lib.currentId === id) lib.currentId = null;
      save();
      renderAll();
    },
  },
);

function setStatus(text: string, kind: "info" | "error" = "info"): void {
  statusLine.textContent = text;
  statusLine.dataset.kind = kind;
}

function nearBottom(): boolean {
  return scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 80;
}

// The thread sticks to its bottom while the reader is there, as chat apps do: as the answer
// streams, when a turn's footer appears, when the window changes size. Scrolling up lets go, and
// only that: the browser reports the thread's own scroll to the bottom a frame late, and text that
// grew in between has moved the bottom away without moving the thread back up.
let stuck = true;
let lastTop = scroller.scrollTop;
scroller.addEventListener(
  "scroll",
  () => {
    if (nearBottom()) stuck = true;
    else if (scroller.scrollTop < lastTop) stuck = false;
    lastTop = scroller.scrollTop;
  },
  { passive: true },
);
function keepAtBottom(): void {
  if (stuck) scroller.scrollTop = scroller.scrollHeight;
}
const sizes = new ResizeObserver(keepAtBottom);
sizes.observe(scroller);
sizes.observe(conversationEl);

function render(turn: Turn): void {
  const shown = currentOf(lib);
  if (!shown?.turns.includes(turn)) return; // another conversation's turn, or one thrown away
  let view = views.get(turn);
  if (!view) {
    view = createTurnView(turn, { again, edit });
    views.set(turn, view);
    conversationEl.append(view.el);
  }
  view.sync(Date.now(), { last: shown.turns.at(-1) === turn, busy: running !== undefined });
}

/** Scrolls to the newest turn and sticks there (a conversation opened, a prompt sent). */
function toBottom(): void {
  stuck = true;
  keepAtBottom();
}

/**
 * Brings the conversation on screen, the side list and the buttons that depend on a request
 * running up to date. Views are kept while their conversation stays on screen, so a block the
 * reader opened stays open.
 */
let drawn: Conversation | undefined;
function renderAll(): void {
  const shown = currentOf(lib);
  if (shown !== drawn) {
    conversationEl.replaceChildren();
    views.clear();
    drawn = shown;
  }
  for (const [t, view] of views) {
    if (shown?.turns.includes(t)) continue;
    view.el.remove();
    views.delete(t);
  }
  for (const t of shown?.turns ?? []) render(t);
  show(emptyState, !shown || shown.turns.length === 0);
  sidebar.render(lib, running?.conversation.id ?? null);
  sendButton.disabled = running !== undefined;
  stopButton.disabled = running === undefined;
}

function save(): void {
  if (!saveLibrary(localStorage, lib)) setStatus("The conversation is too large to keep in this browser's storage.", "error");
}

function describeFailure(err: unknown): string {
  if (err instanceof GatewayHttpError) {
    const retry = err.retryAfter ? ` Try again in ${err.retryAfter} s.` : "";
    return `HTTP ${err.status}: ${err.message}${err.code ? ` (${err.code})` : ""}.${retry}`;
  }
  if (err instanceof GatewayStreamError) return `${err.message} (${err.code})`;
  if (err instanceof GatewayUnreachableError) return `Cannot reach the gateway: ${err.reason}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Sends `prompt` in the conversation on screen (a new one when there is none). `replaceFrom`
 * drops that turn and every later one first: Retry, Regenerate and Edit all resend that way.
 */
async function send(prompt: string, replaceFrom?: number): Promise<void> {
  if (running) return;
  const model = picker.current();
  if (!model) {
    setStatus("Pick a model first.", "error");
    return;
  }
  let conversation = currentOf(lib);
  if (!conversation) {
    conversation = newConversation(newId(), prompt, Date.now());
    lib.conversations.push(conversation);
    lib.currentId = conversation.id;
  }
  if (replaceFrom !== undefined) {
    conversation.turns.splice(replaceFrom);
    if (replaceFrom === 0) conversation.title = titleOf(prompt);
  }
  const body: { model: string; messages: unknown[]; summary_model?: string } = { model, messages: toMessages(conversation.turns, prompt) };
  const sm = summaryModel.value.trim();
  if (sm) body.summary_model = sm;
  const key = apiKey();
  if (key) sessionStorage.setItem(KEY_STORAGE, key);

  const turn = newTurn({ id: newId(), prompt, model, startedAt: Date.now() });
  conversation.turns.push(turn);
  conversation.updatedAt = turn.startedAt;
  const controller = new AbortController();
  const client = createStagedClient({ baseUrl: location.origin, ...(key && { apiKey: key }) });
  running = { controller, turn, conversation, client };
  // The timer only redraws the "Thinking for N s" title; events redraw everything else.
  const timer = window.setInterval(() => render(turn), 250);
  if (replaceFrom === undefined) promptBox.value = "";
  setStatus("Waiting for the gateway…");
  renderAll();
  toBottom();
  save();

  try {
    const stream = client.stream(body, {
      signal: controller.signal,
      onOpen: ({ requestId, resumable }) => {
        turn.requestId = requestId ?? null;
        if (running) running.resumable = resumable;
        setStatus("Streaming…");
      },
    });
    for await (const ev of stream) {
      applyEvent(turn, ev, Date.now() - turn.startedAt);
      render(turn);
    }
    setStatus(turn.timings ? `Done in ${(turn.timings.total / 1000).toFixed(1)} s.` : "Done.");
  } catch (err) {
    if (controller.signal.aborted) {
      endTurn(turn, "stopped");
      setStatus("Stopped. The gateway cancelled the upstream call.");
    } else {
      endTurn(turn, "failed", describeFailure(err));
      // The turn shows the error, with Retry; saying it twice would make two errors of one.
      setStatus("");
    }
  } finally {
    window.clearInterval(timer);
    running = undefined;
    save();
    renderAll();
  }
}

/** Retry (after a failure) and Regenerate (after an answer): the last turn again, in its place. */
function again(turn: Turn): void {
  const turns = currentOf(lib)?.turns ?? [];
  if (turns.at(-1) === turn) void send(turn.prompt, turns.length - 1);
}

/** Edit and resend: this turn and every later one give way to the edited prompt. */
function edit(turn: Turn, prompt: string): void {
  const at = currentOf(lib)?.turns.indexOf(turn) ?? -1;
  if (at >= 0) void send(prompt, at);
}

/** Stop: cancel at the gateway when the stream is resumable, then drop the connection. */
function stop(): void {
  const r = running;
  if (!r) return;
  // A resumable stream outlives its connection for a while: ask the gateway to end it now.
  if (r.resumable && r.turn.requestId) void r.client.cancel(r.turn.requestId).catch(() => undefined);
  r.controller.abort();
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const prompt = promptBox.value;
  if (running || prompt.trim() === "") return;
  void send(prompt);
});

// Enter sends and Shift+Enter is a new line, as in every chat app; not while an IME is composing.
promptBox.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.isComposing) {
    e.preventDefault();
    form.requestSubmit();
  }
});

// Esc closes the drawer on a phone, otherwise stops the answer, wherever the focus is.
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape" || e.defaultPrevented) return;
  if (sidebar.isOpen()) sidebar.setOpen(false);
  else if (running) stop();
});

stopButton.addEventListener("click", stop);

byId("new-chat", HTMLButtonElement).addEventListener("click", () => {
  lib.currentId = null;
  save();
  renderAll();
  sidebar.setOpen(false);
  if (!running) setStatus("");
  promptBox.focus();
});

for (const button of document.querySelectorAll<HTMLButtonElement>("button.example")) {
  button.addEventListener("click", () => {
    promptBox.value = button.dataset.prompt ?? "";
    promptBox.focus();
  });
}

keyInput.addEventListener("change", () => {
  const key = apiKey();
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  void picker.load(key);
});

renderAll();
toBottom();
void picker.load(apiKey());
