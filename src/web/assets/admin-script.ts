/**
 * The dashboard's script: poll providers, stats and the event tail every 2 s and redraw. Widths
 * are set through the CSSOM (allowed by the CSP), never inline style attributes.
 */
export const ADMIN_JS = `
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const STAGES = ["prompt_summary", "upstream_ttfb", "reasoning_end", "reasoning_summary", "first_output", "total"];
  const el = (tag, attrs, text) => { const e = document.createElement(tag); Object.assign(e, attrs || {}); if (text !== undefined) e.textContent = text; return e; };
  const pct = (v) => (v === null || v === undefined ? "–" : Math.round(v * 100) + "%");
  // A strategy the user picked but has not applied yet: polling must not put the old one back.
  let picked = false;

  async function get(path) {
    const res = await fetch(path, { credentials: "same-origin" });
    if (res.status === 401 || res.status === 403) { location.reload(); throw new Error("signed out"); }
    if (!res.ok) throw new Error(path + ": HTTP " + res.status);
    return res.json();
  }

  function providers(list) {
    const body = $("providers-body");
    body.replaceChildren();
    for (const p of list.providers) {
      const tr = el("tr");
      tr.dataset.provider = p.id; tr.dataset.state = p.state;
      const badge = el("span", { className: "state " + p.state }, p.state);
      for (const cell of [p.id, p.tier, badge, String(p.in_flight), String(p.requests), pct(p.success_rate),
        p.latency_ewma_ms === null ? "–" : p.latency_ewma_ms + " ms", p.cooldown_remaining_ms ? Math.ceil(p.cooldown_remaining_ms / 1000) + " s" : ""]) {
        const td = el("td"); if (typeof cell === "string") td.textContent = cell; else td.appendChild(cell); tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    const route = list.routes[0];
    $("strategy-now").textContent = list.routes.map((r) => r.model + ": " + r.strategy).join(" · ");
    if (route && !picked && document.activeElement !== $("strategy")) $("strategy").value = route.strategy;
    const max = Math.max(1, ...list.providers.map((p) => p.requests));
    const bars = $("load-body");
    bars.replaceChildren();
    for (const p of list.providers) {
      const bar = el("div", { className: "bar" });
      bar.style.width = (100 * p.requests / max) + "%";
      const tr = el("tr"); tr.appendChild(el("td", {}, p.id)); tr.appendChild(el("td", {}, String(p.requests)));
      const td = el("td"); td.appendChild(bar); tr.appendChild(td); bars.appendChild(tr);
    }
  }

  function stats(s) {
    $("kpi-requests").textContent = String(s.totals.requests);
    $("kpi-success").textContent = pct(s.success_rate);
    $("kpi-inflight").textContent = String(s.in_flight);
    const svg = $("latency");
    svg.replaceChildren();
    const max = Math.max(1, ...STAGES.map((k) => (s.latency_ms[k] && s.latency_ms[k].p95) || 0));
    STAGES.forEach((k, i) => {
      const l = s.latency_ms[k] || {};
      const y = 8 + i * 26;
      const label = document.createElementNS(SVG, "text"); label.setAttribute("x", "0"); label.setAttribute("y", String(y + 12)); label.textContent = k;
      svg.appendChild(label);
      [["p95", l.p95], ["p50", l.p50]].forEach(([cls, v]) => {
        const r = document.createElementNS(SVG, "rect");
        r.setAttribute("class", cls); r.setAttribute("x", "130"); r.setAttribute("y", String(y)); r.setAttribute("height", "16");
        r.setAttribute("width", String(v ? Math.max(1, 330 * v / max) : 0)); svg.appendChild(r);
      });
      const t = document.createElementNS(SVG, "text"); t.setAttribute("x", "470"); t.setAttribute("y", String(y + 12));
      t.textContent = l.p50 === null || l.p50 === undefined ? "–" : l.p50 + " / " + l.p95 + " ms"; svg.appendChild(t);
    });
  }

  function logs(data) {
    const box = $("log");
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    box.replaceChildren(...data.events.map((e) => el("div", { className: e.level }, e.ts.slice(11, 19) + "  " + (e.message.startsWith(e.type) ? e.message : e.type + " " + e.message))));
    if (atEnd) box.scrollTop = box.scrollHeight;
  }

  async function refresh() {
    try {
      const [p, s, l] = await Promise.all([get("/v1/providers"), get("/v1/monitoring/stats"), get("/v1/monitoring/logs?count=50")]);
      providers(p); stats(s); logs(l);
      $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    } catch (e) { $("updated").textContent = String(e.message || e); }
  }

  $("strategy").addEventListener("change", () => { picked = true; });
  $("apply").addEventListener("click", async () => {
    await fetch("/v1/providers/strategy/" + $("strategy").value, { method: "POST", credentials: "same-origin" });
    picked = false;
    refresh();
  });
  $("reset").addEventListener("click", async () => {
    await fetch("/v1/providers/reset", { method: "POST", credentials: "same-origin" });
    picked = false;
    refresh();
  });
  refresh();
  setInterval(refresh, 2000);
})();
`;
