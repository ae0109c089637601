// First: configures zod before any schema is used (see the file).
import "./zod-csp.js";
import { createStagedClient, GatewayHttpError, GatewayStreamError, GatewayUnreachableError, type StagedClient } from "../../sdk/index.js";
import { applyEvent, endTurn, loadTurns, newTurn, saveTurns, toMessages, type Turn } from "./conversation.js";
import { byId, h, show } from "./dom.js";
import { pickModel, rankModels } from "./models.js";
import { createTurnView, type TurnView } from "./turn-view.js";

/*
 * The playground: a conversation with the gateway. Each prompt streams through the typed client
 * (src/sdk), each staged event is folded into the turn (conversation.ts) and the turn's view is
 * synced. Stop asks the gateway to cancel the request (a resumable stream would otherwise outlive
 * its connection for RESUME_GRACE_SECONDS) and aborts the fetch.
 */

const KEY_STORAGE = "gw-key"; // sessionStorage: the key lives as long as the tab
const MODEL_STORAGE = "staged-gateway.model";
const CUSTOM = "\u0000custom"; // the picker's "other…" entry; cannot be a real model name

const form = byId("composer", HTMLFormElement);
const promptBox = byId("prompt", HTMLTextAreaElement);
const sendButton = byId("send", HTMLButtonElement);
const stopButton = byId("stop", HTMLButtonElement);
const statusLine = byId("status", HTMLElement);
const modelSelect = byId("model", HTMLSelectElement);
const modelCustom = byId("model-custom", HTMLInputElement);
const modelNote = byId("model-note", HTMLElement);
const modelList = byId("model-list", HTMLDataListElement);
const summaryModel = byId("summary-model", HTMLInputElement);
const keyInput = byId("key", HTMLInputElement);
const settings = byId("settings", HTMLDetailsElement);
const conversation = byId("conversation", HTMLElement);
const emptyState = byId("empty-state", HTMLElement);

keyInput.value = sessionStorage.getItem(KEY_STORAGE) ?? "";

let turns: Turn[] = loadTurns(localStorage);
const views = new Map<string, TurnView>();
let running: { controller: AbortController; turn: Turn; timer: number; client: StagedClient; resumable?: boolean } | undefined;

/** A turn id. Not crypto.randomUUID: that exists only in secure contexts, and a LAN gateway is plain http. */
function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function apiKey(): string | undefined {
  return keyInput.value.trim() || undefined;
}

function currentModel(): string {
  return (modelSelect.value === CUSTOM || modelSelect.hidden ? modelCustom.value : modelSelect.value).trim();
}

function setStatus(text: string, kind: "info" | "error" = "info"): void {
  statusLine.textContent = text;
  statusLine.dataset.kind = kind;
}

function nearBottom(): boolean {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 120;
}

function viewFor(turn: Turn): TurnView {
  let view = views.get(turn.id);
  if (!view) {
    view = createTurnView(turn);
    views.set(turn.id, view);
    conversation.append(view.el);
  }
  return view;
}

function render(turn: Turn): void {
  if (!turns.includes(turn)) return; // a turn "New chat" threw away while it was still ending
  const follow = nearBottom();
  viewFor(turn).sync(Date.now());
  if (follow && turn.status === "streaming") window.scrollTo({ top: document.documentElement.scrollHeight });
}

function renderAll(): void {
  conversation.replaceChildren();
  views.clear();
  for (const t of turns) render(t);
  show(emptyState, turns.length === 0);
}

function save(): void {
  if (!saveTurns(localStorage, turns)) setStatus("The conversation is too large to keep in this browser's storage.", "error");
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

async function send(prompt: string): Promise<void> {
  const model = currentModel();
  if (!model) {
    setStatus("Pick a model first.", "error");
    return;
  }
  const body: { model: string; messages: unknown[]; summary_model?: string } = { model, messages: toMessages(turns, prompt) };
  const sm = summaryModel.value.trim();
  if (sm) body.summary_model = sm;
  const key = apiKey();
  if (key) sessionStorage.setItem(KEY_STORAGE, key);

  const turn = newTurn({ id: newId(), prompt, model, startedAt: Date.now() });
  turns.push(turn);
  show(emptyState, false);
  const controller = new AbortController();
  // The timer only redraws the "thinking for N s" label; events redraw everything else.
  const timer = window.setInterval(() => render(turn), 250);
  const client = createStagedClient({ baseUrl: location.origin, ...(key && { apiKey: key }) });
  running = { controller, turn, timer, client };
  sendButton.disabled = true;
  stopButton.disabled = false;
  promptBox.value = "";
  setStatus("Waiting for the gateway…");
  render(turn);
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
      if (turns.includes(turn)) setStatus("Stopped. The gateway cancelled the upstream call.");
    } else {
      endTurn(turn, "failed", describeFailure(err));
      setStatus(`Failed: ${turn.failure ?? "unknown error"}`, "error");
    }
  } finally {
    window.clearInterval(timer);
    running = undefined;
    sendButton.disabled = false;
    stopButton.disabled = true;
    render(turn);
    save();
  }
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const prompt = promptBox.value;
  if (running || prompt.trim() === "") return;
  void send(prompt);
});

promptBox.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    form.requestSubmit();
  }
});

/** Stop: cancel at the gateway when the stream is resumable, then drop the connection. */
function stop(): void {
  const r = running;
  if (!r) return;
  // A resumable stream outlives its connection for a while: ask the gateway to end it now.
  if (r.resumable && r.turn.requestId) void r.client.cancel(r.turn.requestId).catch(() => undefined);
  r.controller.abort();
}

stopButton.addEventListener("click", stop);

byId("new-chat", HTMLButtonElement).addEventListener("click", () => {
  stop();
  turns = [];
  save();
  renderAll();
  setStatus("");
  promptBox.focus();
});

for (const button of document.querySelectorAll<HTMLButtonElement>("button.example")) {
  button.addEventListener("click", () => {
    promptBox.value = button.dataset.prompt ?? "";
    promptBox.focus();
  });
}

modelSelect.addEventListener("change", () => {
  const custom = modelSelect.value === CUSTOM;
  show(modelCustom, custom);
  if (custom) modelCustom.focus();
  else localStorage.setItem(MODEL_STORAGE, modelSelect.value);
});
modelCustom.addEventListener("change", () => localStorage.setItem(MODEL_STORAGE, modelCustom.value.trim()));
keyInput.addEventListener("change", () => {
  const key = apiKey();
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  void loadModels();
});

/** Fills the picker from GET /v1/models, likely reasoning models first. */
async function loadModels(): Promise<void> {
  const remembered = localStorage.getItem(MODEL_STORAGE);
  let ids: string[] = [];
  let problem: string | null = null;
  try {
    const key = apiKey();
    const res = await fetch("/v1/models", { headers: key ? { authorization: `Bearer ${key}` } : {} });
    if (res.ok) {
      const list = (await res.json()) as { data?: { id?: unknown }[] };
      ids = (list.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === "string");
    } else {
      problem =
        res.status === 401 || res.status === 403
          ? `This gateway needs an API key to list its models (HTTP ${res.status}); enter it under Settings.`
          : `Could not list the models (HTTP ${res.status}); type a model name instead.`;
    }
  } catch (err) {
    problem = `Could not list the models (${err instanceof Error ? err.message : String(err)}); type a model name instead.`;
  }
  const ranked = rankModels(ids);
  const picked = pickModel(ranked, remembered);
  modelSelect.replaceChildren(...ranked.map((id) => h("option", { text: id, attrs: { value: id } })), h("option", { text: "other…", attrs: { value: CUSTOM } }));
  modelList.replaceChildren(...ranked.map((id) => h("option", { attrs: { value: id } })));
  const custom = picked === undefined;
  modelSelect.value = custom ? CUSTOM : picked;
  if (custom && remembered && !modelCustom.value) modelCustom.value = remembered;
  show(modelCustom, custom);
  modelNote.textContent = problem ?? (ranked.length === 0 ? "The gateway lists no models; type a model name." : "");
  modelNote.dataset.kind = problem ? "error" : "info";
  show(modelNote, modelNote.textContent !== "");
  if (problem && (problem.includes("API key") || form.dataset.keysRequired === "true")) settings.open = true;
}

renderAll();
void loadModels();
