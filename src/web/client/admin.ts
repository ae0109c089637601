import { api } from "./admin/api.js";
import { drawLineChart } from "./admin/chart.js";
import { decimalsFor } from "./admin/scale.js";
import { ago, agoMs, clock, ms, percent, perSecond, uptime } from "./admin/format.js";
import { createRequestsPanel } from "./admin/requests.js";
import type { LatencyKey, MonitorEvent, ProvidersResponse, Series, StatsResponse } from "./admin/types.js";
import { byId, h, show } from "./dom.js";

/*
 * The dashboard: polls the operator API and redraws. Requests (what clients asked, from the
 * monitor) and upstream calls (what the gateway sent, from the router) are labelled apart
 * everywhere, so no two numbers on the page seem to disagree.
 */

const FAST_MS = 2000; // providers, stats, events
const SLOW_EVERY = 3; // charts and the request table: every third tick

const $ = <T extends Element>(id: string, kind: abstract new (...args: never[]) => T): T => byId(id, kind);
const errorBanner = $("admin-error", HTMLElement);
const updated = $("updated", HTMLElement);
const strategySelect = $("strategy", HTMLSelectElement);
const range = $("range", HTMLSelectElement);
const stageSelect = $("latency-stage", HTMLSelectElement);
// A strategy picked but not yet applied: polling must not put the old one back.
let picked = false;
let lastSeries: Series | undefined;
// From the stats: with REQUEST_LOG=false there is no table to ask for (it would only answer 503).
let requestLogOn = true;
// From the stats: a gateway on its own (no Redis, no other replica) need not say whose the charts are.
let seriesAlone = true;

function showError(err: unknown): void {
  errorBanner.textContent = `Could not refresh: ${err instanceof Error ? err.message : String(err)}. Showing the last figures received.`;
  show(errorBanner, true);
}

function setKpi(id: string, value: string, hint: string): void {
  $(id, HTMLElement).textContent = value;
  $(`${id}-hint`, HTMLElement).textContent = hint;
}

/**
 * Whose requests the figures cover, in words: "" for a gateway on its own (nothing to tell apart),
 * else every replica's or this one's alone — behind a load balancer the difference is everything.
 */
function scopeWords(s: StatsResponse | Series, alone: boolean): string {
  if (s.scope === "fleet") return `all ${s.replicas ?? 1} replica${s.replicas === 1 ? "" : "s"}`;
  return alone ? "" : "this replica only";
}

function renderStats(s: StatsResponse): void {
  const t = s.totals;
  const full = t.requests >= s.window_size;
  // A fleet of one without Redis says nothing; with Redis configured (even down) it must.
  const alone = (s.redis === undefined || s.redis === "off") && (s.fleet?.length ?? 1) <= 1;
  const whose = scopeWords(s, alone);
  seriesAlone = alone;
  const scope = `${full ? `last ${s.window_size.toLocaleString("en")} requests` : "since start"}${whose ? ` · ${whose}` : ""}`;
  $("kpis", HTMLElement).dataset.scope = s.scope ?? "replica";
  setKpi("kpi-requests", t.requests.toLocaleString("en"), scope);
  setKpi("kpi-success", percent(t.ok, t.requests), `${t.ok} ok`);
  setKpi("kpi-errors", String(t.errors), t.requests > 0 ? percent(t.errors, t.requests) : "");
  setKpi("kpi-closed", String(t.client_closed), t.requests > 0 ? percent(t.client_closed, t.requests) : "");
  setKpi("kpi-rejected", String(t.rejected), "refused before any upstream call");
  // In flight: each replica's count as of its last heartbeat, summed, when the numbers are the fleet's.
  const fleetInFlight = s.scope === "fleet" && Array.isArray(s.fleet) && s.fleet.length > 1 ? s.fleet.reduce((n, r) => n + r.in_flight, 0) : undefined;
  setKpi(
    "kpi-inflight",
    String(fleetInFlight ?? s.in_flight),
    fleetInFlight !== undefined ? "streams open now, all replicas" : alone ? "streams open now" : "streams open now on this replica",
  );

  const latencyBody = $("latency-body", HTMLTableSectionElement);
  $("latency-note", HTMLElement).textContent =
    `${full ? `Over the last ${s.window_size.toLocaleString("en")} requests` : "Over every request since start"}${whose ? ` of ${whose}` : ""} (rejected requests left out).`;
  latencyBody.replaceChildren(
    ...[...stageSelect.options].map((o) => {
      const p = s.latency_ms[o.value as LatencyKey];
      return h(
        "tr",
        {},
        h("td", { text: o.textContent ?? o.value }),
        h("td", { class: "num", text: ms(p.p50) }),
        h("td", { class: "num", text: ms(p.p95) }),
        h("td", { class: "num", text: ms(p.p99) }),
      );
    }),
  );

  const fleet = $("fleet", HTMLElement);
  // A fleet of one (no Redis, one process) says nothing the rest of the page does not.
  const replicas = Array.isArray(s.fleet) && (s.fleet.length > 1 || (s.redis !== undefined && s.redis !== "off")) ? s.fleet : undefined;
  show(fleet, replicas !== undefined);
  if (replicas) {
    const now = Date.now();
    $("fleet-body", HTMLTableSectionElement).replaceChildren(
      ...replicas.map((r) =>
        h(
          "tr",
          { data: { replica: r.id } },
          h("td", { text: r.id }),
          h("td", { text: r.version }),
          h("td", { text: ago(r.started_at, now) }),
          h("td", { class: "num", text: String(r.in_flight) }),
          h("td", { text: r.self ? "this replica" : agoMs(r.last_seen_ms) }),
        ),
      ),
    );
  }

  const log = s.request_log;
  requestLogOn = log !== null;
  const logNote =
    log === null
      ? "request log off"
      : `request log: ${log.written} written, ${log.queued} queued${log.dropped > 0 ? `, ${log.dropped} dropped` : ""}${log.starting ? " — opening" : log.healthy ? "" : " — database unreachable"}`;
  updated.textContent = `Updated ${clock(Date.now())} · up ${uptime(s.uptime_seconds)} · ${logNote}`;
}

/** Enough checked answers, most of them failed: a provider whose answers keep failing their schema. */
const FAILING_MIN_CHECKS = 3;
const FAILING_RATE = 0.5;

function schemaFailures(t: { checked: number; failed: number } | undefined, json: ProvidersResponse["providers"][number]["json"]): HTMLTableCellElement {
  const counts = !t || t.checked === 0 ? "–" : `${t.failed} of ${t.checked} (${percent(t.failed, t.checked)})`;
  // Cloud-only mode: the router has stopped sending JSON requests there.
  if (json?.skipped) {
    const next = json.retry_in_ms > 0 ? `one JSON request tries it again in ${Math.ceil(json.retry_in_ms / 1000)} s` : "the next JSON request tries it again";
    return h("td", {
      class: "num schema failing",
      text: `${counts} · JSON skipped`,
      attrs: { title: `JSON requests skip this provider: its answers kept failing their schema; ${next}` },
    });
  }
  if (!t || t.checked === 0) return h("td", { class: "num schema", text: counts });
  const failing = t.checked >= FAILING_MIN_CHECKS && t.failed / t.checked >= FAILING_RATE;
  return h("td", {
    class: failing ? "num schema failing" : "num schema",
    text: counts,
    attrs: { title: failing ? "its answers keep failing their response_format schema" : "answers that failed a response_format schema, of those checked" },
  });
}

function renderProviders(list: ProvidersResponse, stats: StatsResponse | undefined): void {
  const served = stats?.per_provider ?? {};
  const checked = stats?.validation ?? {};
  const body = $("providers-body", HTMLTableSectionElement);
  body.replaceChildren(
    ...list.providers.map((p) => {
      const mine = served[p.id];
      const share = h("span", { class: "share" });
      share.style.width = `${Math.round((mine?.share ?? 0) * 80)}px`;
      share.hidden = !mine;
      return h(
        "tr",
        { data: { provider: p.id, state: p.state, json: p.json?.skipped ? "skipped" : "taken" } },
        h("td", { text: p.id }),
        h("td", { text: p.tier }),
        h("td", {}, h("span", { class: `state ${p.state}`, text: p.state })),
        h("td", { class: "num", text: String(p.in_flight) }),
        h("td", { class: "num served" }, `${mine?.requests ?? 0}`, share),
        h("td", { class: "num calls", text: String(p.requests) }),
        h("td", { class: "num", text: p.requests > 0 ? percent(p.successes, p.successes + p.failures) : "–" }),
        schemaFailures(checked[p.id], p.json),
        h("td", { class: "num", text: ms(p.latency_ewma_ms) }),
        h("td", { text: p.cooldown_remaining_ms ? `${Math.ceil(p.cooldown_remaining_ms / 1000)} s left` : "" }),
      );
    }),
  );
  $("strategy-now", HTMLElement).textContent = list.routes.map((r) => `${r.model === "*" ? "every model" : r.model}: ${r.strategy}`).join(" · ");
  const route = list.routes[0];
  if (route && !picked && document.activeElement !== strategySelect) strategySelect.value = route.strategy;
}

function renderLog(events: MonitorEvent[]): void {
  const box = $("log", HTMLElement);
  const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  if (events.length === 0) {
    box.replaceChildren(
      h("p", { class: "empty-note", text: "No gateway events yet. Requests, retries, failovers, cooldowns and strategy changes appear here as they happen." }),
    );
    return;
  }
  box.replaceChildren(
    ...events.map((e) =>
      h(
        "div",
        { class: `${e.level} t-${e.type}`, data: { type: e.type } },
        `${clock(e.ts)}  ${e.message.startsWith(e.type) ? e.message : `${e.type}: ${e.message}`}`,
      ),
    ),
  );
  if (atEnd) box.scrollTop = box.scrollHeight;
}

function renderCharts(series: Series): void {
  const times = series.buckets.map((b) => Date.parse(b.start));
  $("series-scope", HTMLElement).textContent = series.scope === "fleet" ? scopeWords(series, false) : seriesAlone ? "" : "this replica only";
  const span = `the last ${series.minutes} minutes`;
  drawLineChart($("chart-traffic", SVGSVGElement), $("legend-traffic", HTMLElement), {
    times,
    series: [
      { name: "requests/s", cls: "s-requests", values: series.buckets.map((b) => b.requests_per_second) },
      { name: "upstream errors/s", cls: "s-errors", values: series.buckets.map((b) => b.errors_per_second) },
    ],
    format: perSecond,
    axis: (v, step) => v.toFixed(decimalsFor(step)),
    emptyText: `No requests in ${span}`,
  });
  const stage = stageSelect.value as LatencyKey;
  drawLineChart($("chart-latency", SVGSVGElement), $("legend-latency", HTMLElement), {
    times,
    series: [
      { name: "p50", cls: "s-p50", values: series.buckets.map((b) => b.latency_ms[stage].p50) },
      { name: "p95", cls: "s-p95", values: series.buckets.map((b) => b.latency_ms[stage].p95) },
    ],
    format: ms,
    // Seconds once the scale reaches them, with the decimals the step needs.
    axis: (v, step) => (step >= 500 ? `${(v / 1000).toFixed(decimalsFor(step / 1000))} s` : `${v.toFixed(decimalsFor(step))} ms`),
    emptyText: `No finished requests in ${span}`,
  });
}

const requests = createRequestsPanel(showError);

async function refreshSlow(): Promise<void> {
  const series = await api<Series>(`/v1/monitoring/series?minutes=${range.value}`);
  lastSeries = series;
  renderCharts(series);
  await requests.refresh(requestLogOn);
}

let tick = 0;
let timer: number | undefined;
let busy = false;
let again = false;

/** One poll. Called while one is running, it runs once more right after instead of overlapping. */
async function refresh(): Promise<void> {
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  window.clearTimeout(timer);
  try {
    const [providers, stats, logs] = await Promise.all([
      api<ProvidersResponse>("/v1/providers"),
      api<StatsResponse>("/v1/monitoring/stats"),
      api<{ events: MonitorEvent[] }>("/v1/monitoring/logs?count=100"),
    ]);
    renderStats(stats);
    renderProviders(providers, stats);
    renderLog(logs.events);
    requests.setProviders(providers.providers.map((p) => p.id));
    requests.setModels(Object.keys(stats.per_model));
    if (tick % SLOW_EVERY === 0) await refreshSlow();
    tick++;
    show(errorBanner, false);
  } catch (err) {
    showError(err);
  } finally {
    busy = false;
    if (again) {
      again = false;
      void refresh();
    } else timer = window.setTimeout(() => void refresh(), FAST_MS);
  }
}

async function operate(path: string): Promise<void> {
  try {
    await api(path, { method: "POST" });
    picked = false;
    tick = 0;
  } catch (err) {
    showError(err);
  }
  await refresh();
}

strategySelect.addEventListener("change", () => {
  picked = true;
});
$("apply", HTMLButtonElement).addEventListener("click", () => void operate(`/v1/providers/strategy/${encodeURIComponent(strategySelect.value)}`));
$("reset", HTMLButtonElement).addEventListener("click", () => void operate("/v1/providers/reset"));
range.addEventListener("change", () => void refreshSlow().catch(showError));
stageSelect.addEventListener("change", () => {
  if (lastSeries) renderCharts(lastSeries);
});
// Charts are drawn at their shown size: redraw when that changes (rotation, window resize).
let lastWidth = 0;
new ResizeObserver(() => {
  const w = $("chart-traffic", SVGSVGElement).clientWidth;
  if (w !== lastWidth && lastSeries) renderCharts(lastSeries);
  lastWidth = w;
}).observe($("charts", HTMLElement));

void refresh();
