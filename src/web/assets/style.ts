/** One small stylesheet for both pages, served from /assets/app.css (CSP: style-src 'self'). */
export const APP_CSS = `
:root { --bg:#0f1115; --panel:#171a21; --line:#2a2f3a; --text:#e6e8ee; --dim:#9aa3b2; --accent:#7aa2f7;
  --ok:#3fb950; --warn:#d29922; --bad:#f85149; --half:#e3863b; --off:#6e7681; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, Segoe UI, sans-serif; background:var(--bg); color:var(--text); }
header { display:flex; gap:1rem; align-items:baseline; padding:1rem 1.5rem; border-bottom:1px solid var(--line); }
header h1 { font-size:1.1rem; margin:0; } header nav a { color:var(--dim); margin-right:1rem; text-decoration:none; }
main { max-width:1100px; margin:0 auto; padding:1.25rem 1.5rem; }
form.ask { display:grid; grid-template-columns: 1fr 1fr 1fr; gap:.75rem; }
form.ask textarea { grid-column:1 / -1; min-height:6rem; }
label { display:flex; flex-direction:column; gap:.25rem; color:var(--dim); font-size:.85rem; }
input, textarea, select, button { font:inherit; color:var(--text); background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:.5rem .6rem; }
button { cursor:pointer; background:#1f2633; } button.primary { background:var(--accent); color:#0b0d12; border:none; font-weight:600; }
button:disabled { opacity:.5; cursor:default; }
.actions { grid-column:1 / -1; display:flex; gap:.75rem; align-items:center; }
.status { color:var(--dim); font-size:.9rem; }
.panels { display:grid; gap:1rem; margin-top:1.25rem; }
.panel { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:.9rem 1rem; }
.panel h2 { margin:0 0 .5rem; font-size:.95rem; display:flex; justify-content:space-between; color:var(--dim); }
.panel[data-state="filled"] h2 { color:var(--text); } .panel .body { white-space:pre-wrap; min-height:1.5rem; }
.panel .body:empty::before { content:"waiting…"; color:var(--off); }
.panel .err { color:var(--bad); margin-top:.5rem; white-space:pre-wrap; } .tag { font-size:.75rem; color:var(--warn); }
.timings { color:var(--dim); font-size:.85rem; margin-top:.75rem; }
table { width:100%; border-collapse:collapse; } th, td { text-align:left; padding:.4rem .5rem; border-bottom:1px solid var(--line); font-size:.9rem; }
.state { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; color:#0b0d12; }
.state.active { background:var(--ok); } .state.cooldown { background:var(--warn); } .state.open { background:var(--bad); }
.state.half_open { background:var(--half); } .state.unhealthy { background:var(--off); }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:1rem; margin-top:1rem; }
.bar { height:.9rem; background:var(--accent); border-radius:3px; min-width:2px; }
.bars td:last-child { width:55%; } .kpis { display:flex; gap:2rem; margin:1rem 0; } .kpi b { display:block; font-size:1.4rem; }
.log { font:12px/1.45 ui-monospace, monospace; max-height:18rem; overflow:auto; background:#0b0d12; border:1px solid var(--line); border-radius:6px; padding:.5rem; }
.log .warn { color:var(--warn); } .log .error { color:var(--bad); }
.login { max-width:22rem; margin:4rem auto; display:flex; flex-direction:column; gap:.75rem; }
.chart text { fill:var(--dim); font-size:11px; } .chart .p50 { fill:var(--accent); } .chart .p95 { fill:#4b5d8a; }
`;
