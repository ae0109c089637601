import { LATENCY_KEYS } from "../observability/index.js";
import { STRATEGIES } from "../providers/index.js";
import { Layout } from "./layout.js";

/** How the dashboard names the stages (the API's keys are snake_case). */
export const STAGE_LABELS: Record<(typeof LATENCY_KEYS)[number], string> = {
  prompt_summary: "prompt summary",
  upstream_ttfb: "upstream first byte",
  reasoning_end: "reasoning end",
  reasoning_summary: "reasoning summary",
  first_output: "first answer text",
  total: "total",
};

const OUTCOMES = [
  ["ok", "ok"],
  ["upstream_error", "failed before the stream"],
  ["stream_error", "failed mid-stream"],
  ["client_closed", "closed by client"],
  ["aborted", "ended by the gateway"],
  ["rejected", "rejected"],
] as const;

function Kpi(props: { id: string; label: string; hint?: string }) {
  return (
    <div class="kpi">
      <span class="kpi-label">{props.label}</span>
      <b id={props.id}>–</b>
      <small id={`${props.id}-hint`}>{props.hint ?? ""}</small>
    </div>
  );
}

/**
 * `/admin`: what the gateway is doing, in numbers that agree with each other. Requests (what
 * clients asked) and upstream calls (what the gateway sent, summaries included) are never mixed.
 */
export function AdminPage(props: { signOut: boolean }) {
  const signOut = props.signOut ? (
    <form method="post" action="/admin/logout" class="sign-out">
      <button id="sign-out" type="submit">
        Sign out
      </button>
    </form>
  ) : undefined;
  return (
    <Layout title="Admin · staged reasoning gateway" heading="Admin dashboard" page="admin" script="/assets/admin.js" nav={signOut}>
      <p id="admin-error" class="error-banner" role="alert" hidden />
      <section class="kpis" id="kpis" aria-label="requests in the rolling window">
        <Kpi id="kpi-requests" label="Requests" />
        <Kpi id="kpi-success" label="Succeeded" />
        <Kpi id="kpi-errors" label="Upstream errors" />
        <Kpi id="kpi-closed" label="Closed by client" />
        <Kpi id="kpi-rejected" label="Rejected" />
        <Kpi id="kpi-inflight" label="In flight" hint="streams open now" />
      </section>
      <p id="updated" class="note" role="status" />

      <section class="panel" id="charts">
        <div class="panel-head">
          <h2>
            Over time <small id="series-scope" class="note" />
          </h2>
          <label class="inline">
            last
            <select id="range" aria-label="time range">
              <option value="15">15 minutes</option>
              <option value="30">30 minutes</option>
              <option value="60">60 minutes</option>
            </select>
          </label>
        </div>
        <div class="charts">
          <figure class="chart-box">
            <figcaption>Requests per second</figcaption>
            <svg id="chart-traffic" class="chart" role="img" aria-label="requests and upstream errors per second" />
            <div id="legend-traffic" class="legend" />
          </figure>
          <figure class="chart-box">
            <figcaption>
              Latency of{" "}
              <select id="latency-stage" aria-label="stage">
                {LATENCY_KEYS.map((k) => (
                  <option value={k} selected={k === "total"}>
                    {STAGE_LABELS[k]}
                  </option>
                ))}
              </select>
            </figcaption>
            <svg id="chart-latency" class="chart" role="img" aria-label="stage latency p50 and p95" />
            <div id="legend-latency" class="legend" />
          </figure>
        </div>
      </section>

      <section class="panel" id="providers">
        <div class="panel-head">
          <h2>Providers</h2>
          <span id="strategy-now" class="note" />
        </div>
        <p class="note">
          <b>Requests served</b> counts requests whose answer came through the provider (last requests window). <b>Upstream calls</b> counts every call made to
          it — answer streams and both summary calls — so it is larger. <b>Schema failures</b> counts its answers that failed a request's{" "}
          <code>response_format</code> schema (last checks window); a provider whose answers keep failing is marked, and once it passes the providers file's{" "}
          <code>schema_failure_rate</code> JSON requests skip it (<b>JSON skipped</b>) until one of its answers validates again.
        </p>
        <div class="table-wrap" tabindex={0}>
          <table>
            <thead>
              <tr>
                <th>provider</th>
                <th>tier</th>
                <th>state</th>
                <th class="num">in flight</th>
                <th class="num">requests served</th>
                <th class="num">upstream calls (incl. summaries)</th>
                <th class="num">call success</th>
                <th class="num">schema failures</th>
                <th class="num">latency (EWMA)</th>
                <th>cooldown</th>
              </tr>
            </thead>
            <tbody id="providers-body" />
          </table>
        </div>
        <div class="actions">
          <select id="strategy" aria-label="strategy">
            {STRATEGIES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
          <button id="apply" type="button">
            Switch strategy
          </button>
          <button id="reset" type="button">
            Reset providers
          </button>
        </div>
      </section>

      <section class="panel" id="fleet" hidden>
        <h2>Replicas</h2>
        <div class="table-wrap" tabindex={0}>
          <table>
            <thead>
              <tr>
                <th>replica</th>
                <th>version</th>
                <th>started</th>
                <th class="num">in flight</th>
                <th>last seen</th>
              </tr>
            </thead>
            <tbody id="fleet-body" />
          </table>
        </div>
      </section>

      <section class="panel" id="latency">
        <h2>Stage latency</h2>
        <p class="note" id="latency-note" />
        <div class="table-wrap" tabindex={0}>
          <table>
            <thead>
              <tr>
                <th>stage</th>
                <th class="num">p50</th>
                <th class="num">p95</th>
                <th class="num">p99</th>
              </tr>
            </thead>
            <tbody id="latency-body" />
          </table>
        </div>
      </section>

      <section class="panel" id="requests">
        <h2>Requests</h2>
        <form id="request-filters" class="filters">
          <label>
            model
            <input name="model" list="filter-models" placeholder="any" />
          </label>
          <datalist id="filter-models" />
          <label>
            provider
            <select name="provider">
              <option value="">any</option>
            </select>
          </label>
          <label>
            outcome
            <select name="status">
              <option value="">any</option>
              {OUTCOMES.map(([v, label]) => (
                <option value={v}>{label}</option>
              ))}
            </select>
          </label>
          <label>
            key name
            <input name="key_name" placeholder="any" />
          </label>
          <button type="reset">Clear</button>
        </form>
        <div class="table-wrap" id="requests-table" tabindex={0}>
          <table class="requests">
            <thead>
              <tr>
                <th>time</th>
                <th>model</th>
                <th>provider</th>
                <th>outcome</th>
                <th class="num">total</th>
                <th>key</th>
              </tr>
            </thead>
            <tbody id="requests-body" />
          </table>
        </div>
        <p id="requests-empty" class="empty-note" hidden />
        <button id="requests-more" type="button" hidden>
          Load older
        </button>
        <section id="request-detail" class="detail" hidden aria-live="polite" />
      </section>

      <section class="panel">
        <h2>Gateway events</h2>
        <div id="log" class="log" tabindex={0} role="log" aria-label="gateway events" />
      </section>
    </Layout>
  );
}
