import { h, show } from "./dom.js";
import { pickModel, rankModels } from "./models.js";

/*
 * The model picker: filled from GET /openai/v1/models (what the gateway routes, the upstream's own
 * list included), likely reasoners first, with "other…" for a name it does not list. Reloading the
 * list (a new API key) keeps the model on screen: a picker that jumped back to the default would
 * send the next prompt to a model the user did not choose.
 */

const MODEL_STORAGE = "staged-gateway.model";
const CUSTOM = "\u0000custom"; // the picker's "other…" entry; cannot be a real model name

export interface ModelPicker {
  /** The model the next prompt goes to ("" when none is picked or typed). */
  current(): string;
  /** (Re)load the list with this key; resolves once the picker shows the result. */
  load(apiKey: string | undefined): Promise<void>;
}

export interface PickerElements {
  select: HTMLSelectElement;
  custom: HTMLInputElement;
  note: HTMLElement;
  /** The summary model's suggestions. */
  datalist: HTMLDataListElement;
  /** Opened when the list needs a key. */
  settings: HTMLDetailsElement;
  keysRequired: boolean;
}

interface Listed {
  ids: string[];
  /** The model the gateway marks `default: true`, if any. */
  preferred: string | undefined;
}

async function fetchModels(apiKey: string | undefined): Promise<Listed | string> {
  try {
    const res = await fetch("/openai/v1/models", { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
    if (res.status === 401 || res.status === 403) return `This gateway needs an API key to list its models (HTTP ${res.status}); enter it under Settings.`;
    if (!res.ok) return `Could not list the models (HTTP ${res.status}); type a model name instead.`;
    const list = (await res.json()) as { data?: { id?: unknown; default?: unknown }[] };
    const models = (list.data ?? []).filter((m): m is { id: string; default?: unknown } => typeof m.id === "string");
    return { ids: models.map((m) => m.id), preferred: models.find((m) => m.default === true)?.id };
  } catch (err) {
    return `Could not list the models (${err instanceof Error ? err.message : String(err)}); type a model name instead.`;
  }
}

export function createModelPicker(el: PickerElements): ModelPicker {
  // Loads can overlap (the page's first load, then a key typed at once): only the newest one draws.
  let generation = 0;
  let loadedOnce = false;

  const current = (): string => (el.select.value === CUSTOM || el.select.options.length === 0 ? el.custom.value : el.select.value).trim();

  el.select.addEventListener("change", () => {
    const custom = el.select.value === CUSTOM;
    show(el.custom, custom);
    if (custom) el.custom.focus();
    else localStorage.setItem(MODEL_STORAGE, el.select.value);
  });
  el.custom.addEventListener("change", () => localStorage.setItem(MODEL_STORAGE, el.custom.value.trim()));

  function fill(listed: Listed, keep: string | null): void {
    const ranked = rankModels(listed.ids);
    el.select.replaceChildren(
      ...ranked.map((id) => h("option", { text: id, attrs: { value: id } })),
      h("option", { text: "other…", attrs: { value: CUSTOM } }),
    );
    el.datalist.replaceChildren(...ranked.map((id) => h("option", { attrs: { value: id } })));
    const picked = keep !== null && keep !== "" ? (ranked.includes(keep) ? keep : undefined) : (listed.preferred ?? pickModel(ranked, null));
    const custom = picked === undefined;
    el.select.value = custom ? CUSTOM : picked;
    // A name the list does not have stays, typed in the "other…" box.
    if (custom && keep) el.custom.value = keep;
    show(el.custom, custom);
  }

  return {
    current,
    async load(apiKey) {
      const mine = ++generation;
      // What is on screen wins over what was stored, so a reload never changes the choice.
      const keep = loadedOnce ? current() : localStorage.getItem(MODEL_STORAGE);
      el.select.dataset.state = "loading";
      const result = await fetchModels(apiKey);
      if (mine !== generation) return;
      const problem = typeof result === "string" ? result : null;
      if (typeof result !== "string") fill(result, keep);
      else if (!loadedOnce) fill({ ids: [], preferred: undefined }, keep);
      // A failed reload keeps the list it had: the models did not go away, the key did not work.
      loadedOnce = true;
      const empty = typeof result !== "string" && result.ids.length === 0;
      el.note.textContent = problem ?? (empty ? "The gateway lists no models; type a model name." : "");
      el.note.dataset.kind = problem ? "error" : "info";
      show(el.note, el.note.textContent !== "");
      if (problem && (problem.includes("API key") || el.keysRequired)) el.settings.open = true;
      el.select.dataset.state = "ready";
    },
  };
}
