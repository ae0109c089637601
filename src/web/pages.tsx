import type { Child } from "hono/jsx";

const STRATEGIES = ["priority", "round_robin", "weighted", "least_busy", "latency", "cost"];

function Layout(props: { title: string; script?: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        {/* An empty icon: otherwise the browser asks for /favicon.ico and logs the 404. */}
        <link rel="icon" href="data:," />
      </head>
      <body>
        <header>
          <h1>Staged reasoning gateway</h1>
          <nav>
            <a href="/">Playground</a>
            <a href="/admin">Admin</a>
          </nav>
        </header>
        <main>{props.children}</main>
        {props.script && <script src={props.script} defer />}
      </body>
    </html>
  );
}

function Panel(props: { id: string; title: string }) {
  return (
    <section class="panel" id={props.id} data-state="waiting">
      <h2>
        <span>
          {props.title} <span class="tag" />
        </span>
        <span class="time" />
      </h2>
      <div class="body" />
      <div class="err" />
    </section>
  );
}

/** `/`: ask a question and watch the three stages fill in order. */
export function PlaygroundPage(props: { keysRequired: boolean }) {
  return (
    <Layout title="Playground · staged reasoning gateway" script="/assets/playground.js">
      <form id="ask" class="ask">
        <label>
          Model
          <input id="model" name="model" list="models" required placeholder="model name" />
        </label>
        <label>
          Summary model (optional)
          <input id="summary-model" name="summary_model" list="models" placeholder="same as model" />
        </label>
        <label>
          API key{props.keysRequired ? "" : " (not required)"}
          <input id="key" name="key" type="password" autocomplete="off" placeholder={props.keysRequired ? "required" : "optional"} />
        </label>
        <datalist id="models" />
        <textarea id="prompt" name="prompt" required>
          Why is the sky blue, and not violet?
        </textarea>
        <div class="actions">
          <button id="send" class="primary" type="submit">
            Ask
          </button>
          <button id="stop" type="button" disabled>
            Stop
          </button>
          <span id="status" class="status" />
        </div>
      </form>
      <div class="panels">
        <Panel id="panel-prompt" title="1 · Summary of the prompt" />
        <Panel id="panel-reasoning" title="2 · Summary of the model's reasoning" />
        <Panel id="panel-answer" title="3 · The model's final output" />
      </div>
      <div id="timings" class="timings" />
    </Layout>
  );
}

/** `/admin`: providers, load, latency, the event tail, strategy switch and reset. */
export function AdminPage() {
  return (
    <Layout title="Admin · staged reasoning gateway" script="/assets/admin.js">
      <div class="kpis">
        <div class="kpi">
          requests <b id="kpi-requests">–</b>
        </div>
        <div class="kpi">
          success rate <b id="kpi-success">–</b>
        </div>
        <div class="kpi">
          streams in flight <b id="kpi-inflight">–</b>
        </div>
        <div class="kpi status" id="updated" />
      </div>
      <section class="panel">
        <h2>
          <span>Providers</span>
          <span id="strategy-now" />
        </h2>
        <table>
          <thead>
            <tr>
              <th>id</th><th>tier</th><th>state</th><th>in flight</th><th>requests</th><th>success</th><th>latency (EWMA)</th><th>cooldown</th>
            </tr>
          </thead>
          <tbody id="providers-body" />
        </table>
        <div class="actions">
          <select id="strategy" aria-label="strategy">
            {STRATEGIES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
          <button id="apply" type="button">Switch strategy</button>
          <button id="reset" type="button">Reset providers</button>
        </div>
      </section>
      <div class="grid2">
        <section class="panel">
          <h2>Load per provider</h2>
          <table class="bars">
            <tbody id="load-body" />
          </table>
        </section>
        <section class="panel">
          <h2>Stage latency p50 / p95</h2>
          <svg id="latency" class="chart" width="560" height="170" role="img" aria-label="stage latency" />
        </section>
      </div>
      <section class="panel">
        <h2>Gateway events</h2>
        <div id="log" class="log" />
      </section>
    </Layout>
  );
}

/** The admin login form (POST /admin/login). */
export function LoginPage(props: { failed: boolean; what: string; lockedSeconds?: number }) {
  return (
    <Layout title="Sign in · staged reasoning gateway">
      <form class="login" method="post" action="/admin/login">
        <label>
          {props.what}
          <input id="password" name="password" type="password" autocomplete="current-password" required autofocus />
        </label>
        <button class="primary" type="submit">
          Sign in
        </button>
        {props.failed && <div class="err">That did not match. Try again.</div>}
        {props.lockedSeconds !== undefined && <div class="err">Too many failed attempts. Try again in {props.lockedSeconds} s.</div>}
      </form>
    </Layout>
  );
}
