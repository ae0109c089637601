import { SSE_READER_JS } from "./sse-reader.js";

/**
 * The playground's script: POST the prompt, read the staged stream, fill the three panels in
 * the order the events arrive; Stop aborts the fetch, which makes the gateway cancel upstream.
 */
export const PLAYGROUND_JS = `${SSE_READER_JS}
(function () {
  const $ = (id) => document.getElementById(id);
  const panels = { prompt_summary: $("panel-prompt"), reasoning_summary: $("panel-reasoning"), upstream: $("panel-answer") };
  const keyInput = $("key");
  keyInput.value = sessionStorage.getItem("gw-key") || "";
  let controller = null;
  let t0 = 0;

  function headers() {
    const h = { "content-type": "application/json" };
    const key = keyInput.value.trim();
    if (key) { h.authorization = "Bearer " + key; sessionStorage.setItem("gw-key", key); }
    return h;
  }

  function reset() {
    for (const p of Object.values(panels)) {
      p.dataset.state = "waiting"; p.removeAttribute("data-filled-at"); p.dataset.chunks = "0";
      p.querySelector(".body").textContent = ""; p.querySelector(".err").textContent = ""; p.querySelector(".time").textContent = "";
      const tag = p.querySelector(".tag"); if (tag) tag.textContent = "";
    }
    $("timings").textContent = "";
  }

  function fill(panel, text, append) {
    const body = panel.querySelector(".body");
    body.textContent = append ? body.textContent + text : text;
    panel.dataset.chunks = String(Number(panel.dataset.chunks || "0") + 1);
    if (panel.dataset.state !== "filled") {
      const ms = Math.round(performance.now() - t0);
      panel.dataset.state = "filled"; panel.dataset.filledAt = String(ms);
      panel.querySelector(".time").textContent = ms + " ms";
    }
  }

  function fail(stage, message) {
    const panel = panels[stage] || panels.upstream;
    panel.querySelector(".err").textContent = message;
    if (panel.dataset.state !== "filled") panel.dataset.state = "error";
  }

  function onEvent(name, data) {
    if (name === "summary.prompt") { fill(panels.prompt_summary, data.text); markSource(panels.prompt_summary, data.source); }
    else if (name === "summary.reasoning") { fill(panels.reasoning_summary, data.text || "(the model produced no reasoning)"); markSource(panels.reasoning_summary, data.source); }
    else if (name === "output.delta") fill(panels.upstream, data.text, true);
    else if (name === "error") fail(data.stage, data.stage + ": " + data.message + " (" + data.code + ")");
    else if (name === "output.done") {
      const t = data.timings || {};
      const f = (v) => (v === null || v === undefined ? "–" : v + " ms");
      $("timings").textContent = "prompt summary " + f(t.prompt_summary) + " · reasoning end " + f(t.reasoning_end) +
        " · reasoning summary " + f(t.reasoning_summary) + " · first output " + f(t.first_output) + " · total " + f(t.total) +
        (data.route ? " · via " + data.route.provider : "");
    }
  }

  function markSource(panel, source) {
    const tag = panel.querySelector(".tag");
    if (tag) tag.textContent = source === "fallback" ? "fallback" : "";
  }

  async function run() {
    reset();
    const body = { model: $("model").value.trim(), messages: [{ role: "user", content: $("prompt").value }] };
    const sm = $("summary-model").value.trim();
    if (sm) body.summary_model = sm;
    controller = new AbortController();
    t0 = performance.now();
    $("send").disabled = true; $("stop").disabled = false; $("status").textContent = "waiting for the gateway…";
    try {
      const res = await fetch("/v1/chat/completions", { method: "POST", headers: headers(), body: JSON.stringify(body), signal: controller.signal });
      if (!(res.headers.get("content-type") || "").startsWith("text/event-stream")) {
        const err = await res.json().catch(() => ({}));
        fail("upstream", "HTTP " + res.status + ": " + ((err.error && err.error.message) || res.statusText));
        $("status").textContent = "failed"; return;
      }
      $("status").textContent = "streaming…";
      await readStagedEvents(res, onEvent);
      $("status").textContent = "done";
    } catch (e) {
      $("status").textContent = controller.signal.aborted ? "stopped" : "failed: " + e.message;
      if (!controller.signal.aborted) fail("upstream", String(e.message || e));
    } finally {
      $("send").disabled = false; $("stop").disabled = true;
    }
  }

  $("ask").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("stop").addEventListener("click", () => controller && controller.abort());

  fetch("/v1/models", { headers: headers() }).then((r) => (r.ok ? r.json() : { data: [] })).then((list) => {
    const dl = $("models");
    for (const m of list.data || []) { const o = document.createElement("option"); o.value = m.id; dl.appendChild(o); }
    if (!$("model").value && list.data && list.data[0]) $("model").value = list.data[0].id;
  }).catch(() => undefined);
})();
`;
