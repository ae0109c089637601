import { byId, h, show } from "../dom.js";
import { api, ApiProblem } from "./api.js";
import { clock, ms } from "./format.js";
import type { RequestRow, RequestsResponse } from "./types.js";

/*
 * The request table (from the request log) with its filters, and the drill-down of one request:
 * its stage timeline, both summaries and the route it took.
 */

const PAGE = 25;
const OUTCOME_LABELS: Record<string, string> = {
  ok: "ok",
  upstream_error: "failed before the stream",
  stream_error: "failed mid-stream",
  client_closed: "closed by client",
  aborted: "ended by the gateway",
  rejected: "rejected",
};

export interface RequestsPanel {
  /**
   * Reloads the first page, unless the user has paged further back (then it would jump).
   * `logOn: false` (REQUEST_LOG=false) shows why there is no table instead of asking for one.
   */
  refresh(logOn: boolean): Promise<void>;
  setProviders(ids: readonly string[]): void;
  setModels(names: readonly string[]): void;
}

export function createRequestsPanel(onError: (err: unknown) => void): RequestsPanel {
  const form = byId("request-filters", HTMLFormElement);
  const body = byId("requests-body", HTMLTableSectionElement);
  const table = byId("requests-table", HTMLElement);
  const empty = byId("requests-empty", HTMLElement);
  const more = byId("requests-more", HTMLButtonElement);
  const detail = byId("request-detail", HTMLElement);
  const modelList = byId("filter-models", HTMLDataListElement);
  const providerSelect = form.elements.namedItem("provider");
  let nextBefore: string | null = null;
  let paged = false;
  let selected: string | null = null;
  // Results of an older query must not overwrite a newer one's.
  let generation = 0;

  function query(before: string | null): string {
    const params = new URLSearchParams({ limit: String(PAGE) });
    for (const [k, v] of new FormData(form)) if (typeof v === "string" && v.trim() !== "") params.set(k, v.trim());
    if (before) params.set("before", before);
    return `/v1/requests?${params.toString()}`;
  }

  const filtered = (): boolean => [...new FormData(form).values()].some((v) => typeof v === "string" && v.trim() !== "");

  function row(r: RequestRow): HTMLTableRowElement {
    const tr = h(
      "tr",
      { data: { id: r.id, outcome: r.outcome }, attrs: { tabindex: "0", "aria-selected": String(r.id === selected) } },
      h("td", { text: clock(r.startedAt) }),
      h("td", { text: r.model }),
      h("td", { text: r.provider ?? "–" }),
      h("td", {}, h("span", { class: `outcome ${r.outcome}`, text: OUTCOME_LABELS[r.outcome] ?? r.outcome }), ` ${r.httpStatus}`),
      h("td", { class: "num", text: ms(r.timings.total) }),
      h("td", { text: r.keyName ?? "–" }),
    );
    const open = () => void select(r.id);
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => {
      if (e.key === "Enter") open();
    });
    return tr;
  }

  async function load(append: boolean): Promise<void> {
    const mine = ++generation;
    let res: RequestsResponse;
    try {
      res = await api<RequestsResponse>(query(append ? nextBefore : null));
    } catch (err) {
      if (mine !== generation) return;
      if (err instanceof ApiProblem && err.code === "request_log_disabled") return logOff();
      if (err instanceof ApiProblem && err.code === "request_log_starting") return starting();
      throw err;
    }
    if (mine !== generation) return;
    if (!append) body.replaceChildren();
    body.append(...res.requests.map(row));
    nextBefore = res.next_before;
    show(more, nextBefore !== null);
    const none = body.children.length === 0;
    empty.textContent = none
      ? filtered()
        ? "No requests match these filters."
        : "No requests logged yet. Ask something in the Playground; it shows up here within a second."
      : "";
    show(empty, none);
  }

  /** The gateway serves before its request log is open; the next refresh fills the table. */
  function starting(): void {
    body.replaceChildren();
    empty.textContent =
      "The request log is still opening (the embedded database takes a few seconds on first start). Requests served meanwhile are kept and show up here once it is open.";
    show(empty, true);
    show(more, false);
  }

  function logOff(): void {
    body.replaceChildren();
    empty.textContent = "The request log is off (REQUEST_LOG=false), so there is no request table. Turn it on to see each request here.";
    show(empty, true);
    show(more, false);
    form.hidden = true;
    table.hidden = true;
  }

  function timeline(r: RequestRow): HTMLElement {
    const t = r.timings;
    const total = Math.max(1, t.total);
    const rows: [string, number | null, number | null, string][] = [
      ["prompt summary", 0, t.prompt_summary, "summary"],
      ["upstream first byte", 0, r.upstreamTtfbMs, ""],
      ["reasoning", r.upstreamTtfbMs ?? 0, t.reasoning_end, "reasoning"],
      ["reasoning summary", t.reasoning_end, t.reasoning_summary, "summary"],
      ["answer", t.first_output, t.total, "answer"],
      ["total", 0, t.total, ""],
    ];
    // A list of rows (label, track): each row a listitem, as the list role requires of its children.
    const grid = h("ol", { class: "timeline", attrs: { "aria-label": "stage timeline" } });
    for (const [label, from, to, cls] of rows) {
      const track = h("div", { class: "track" });
      if (from !== null && to !== null) {
        const bar = h("div", { class: `bar ${cls}`.trim() });
        // CSSOM, not a style attribute: the CSP allows the one and forbids the other.
        bar.style.left = `${(100 * from) / total}%`;
        bar.style.width = `${(100 * Math.max(0, to - from)) / total}%`;
        track.append(bar, h("span", { class: "ms", text: from > 0 ? `${ms(from)} → ${ms(to)}` : ms(to) }));
      } else {
        track.append(h("span", { class: "ms", text: "did not happen" }));
      }
      grid.append(h("li", {}, h("span", { class: "stage-label", text: label, data: { stage: label } }), track));
    }
    return grid;
  }

  function summary(title: string, s: { text: string; source: string } | null): HTMLElement[] {
    return [
      h("h4", { text: s && s.source !== "model" ? `${title} (${s.source})` : title }),
      h("p", { class: "summary-text", text: s ? s.text || "(empty)" : "none: the request ended before this stage" }),
    ];
  }

  function renderDetail(r: RequestRow): void {
    const route = r.route;
    const facts: [string, string][] = [
      ["request id", r.id],
      ["started", new Date(r.startedAt).toLocaleString()],
      ["model", r.summaryModel !== r.model ? `${r.model} (summaries: ${r.summaryModel})` : r.model],
      ["outcome", `${OUTCOME_LABELS[r.outcome] ?? r.outcome}, HTTP ${r.httpStatus}`],
      [
        "route",
        route
          ? `${route.provider} by ${route.strategy} — ${route.reason} (${route.attempts} attempt${route.attempts === 1 ? "" : "s"})`
          : "none (never routed)",
      ],
      ["retries / failovers", `${r.retries} / ${r.failovers}`],
      ["summary fallbacks", String(r.summaryFallbacks)],
      ["key", r.keyName ?? "–"],
      ["tokens", r.usage ? `${r.usage.prompt_tokens ?? "?"} in, ${r.usage.completion_tokens ?? "?"} out` : "–"],
      ["cost", r.costUsd === null ? "–" : `$${r.costUsd.toFixed(6)}`],
    ];
    const v = r.validation;
    if (v) {
      const tries = v.tries.map((t) => `${t.provider}${t.constrained ? " (schema restated)" : ""} ${t.valid ? "✓" : "✗"}`).join(" → ");
      facts.push([
        "schema validation",
        `${v.valid ? "valid" : "never valid"} after ${v.attempts} answer${v.attempts === 1 ? "" : "s"}${v.escalated ? ", escalated" : ""}: ${tries}`,
      ]);
      if (v.errors && v.errors.length > 0) facts.push(["validator errors", v.errors.join("; ")]);
    }
    const progress = r.timings.progress ?? [];
    if (progress.length > 0) facts.push(["progress notes at", progress.map((v) => ms(v)).join(", ")]);
    detail.replaceChildren(
      h("div", { class: "panel-head" }, h("h3", { text: `Request ${r.id.slice(0, 8)}` }), closeButton()),
      ...(r.errorCode ? [h("p", { class: "error-text", text: `${r.errorCode}: ${r.errorMessage ?? ""}` })] : []),
      h("h4", { text: "Stage timeline" }),
      timeline(r),
      ...summary("Prompt summary", r.promptSummary),
      ...summary("Reasoning summary", r.reasoningSummary),
      h("dl", {}, ...facts.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
      ...(r.answer !== null ? [h("h4", { text: "Answer (LOG_BODIES)" }), h("p", { class: "summary-text", text: r.answer })] : []),
    );
    detail.dataset.id = r.id;
    show(detail, true);
  }

  function closeButton(): HTMLButtonElement {
    const b = h("button", { text: "Close", attrs: { type: "button", id: "request-detail-close" } });
    b.addEventListener("click", () => {
      selected = null;
      show(detail, false);
      for (const tr of body.querySelectorAll("tr")) tr.setAttribute("aria-selected", "false");
    });
    return b;
  }

  async function select(id: string): Promise<void> {
    selected = id;
    for (const tr of body.querySelectorAll<HTMLTableRowElement>("tr")) tr.setAttribute("aria-selected", String(tr.dataset.id === id));
    try {
      renderDetail(await api<RequestRow>(`/v1/requests/${encodeURIComponent(id)}`));
      detail.scrollIntoView({ block: "nearest" });
    } catch (err) {
      onError(err);
    }
  }

  let typing: number | undefined;
  const reload = () => {
    paged = false;
    load(false).catch(onError);
  };
  form.addEventListener("change", reload);
  form.addEventListener("input", (e) => {
    // Typing in a text filter: wait for a pause instead of one query per key.
    if (e.target instanceof HTMLInputElement) {
      window.clearTimeout(typing);
      typing = window.setTimeout(reload, 350);
    }
  });
  form.addEventListener("reset", () => window.setTimeout(reload, 0));
  form.addEventListener("submit", (e) => e.preventDefault());
  more.addEventListener("click", () => {
    paged = true;
    load(true).catch(onError);
  });

  return {
    async refresh(logOn) {
      if (!logOn) return logOff();
      form.hidden = false;
      table.hidden = false;
      if (!paged) await load(false);
    },
    setProviders(ids) {
      if (!(providerSelect instanceof HTMLSelectElement)) return;
      const have = [...providerSelect.options].map((o) => o.value).slice(1);
      if (have.join("\n") === ids.join("\n")) return;
      const value = providerSelect.value;
      providerSelect.replaceChildren(h("option", { text: "any", attrs: { value: "" } }), ...ids.map((id) => h("option", { text: id, attrs: { value: id } })));
      providerSelect.value = ids.includes(value) ? value : "";
    },
    setModels(names) {
      modelList.replaceChildren(...names.map((n) => h("option", { attrs: { value: n } })));
    },
  };
}
