import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { postStaged, userMessage } from "../helpers/sse.js";

/*
 * deploy/grafana/gateway-dashboard.json: valid JSON Grafana can import, and every metric and
 * label its queries name is one the gateway's /metrics really has.
 */

interface Target {
  expr: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
}

const dashboard = JSON.parse(readFileSync(new URL("../../deploy/grafana/gateway-dashboard.json", import.meta.url), "utf8")) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};
const queryPanels = dashboard.panels.filter((p) => p.type !== "row");
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** /metrics after a little traffic: one good request, one that fails upstream. */
async function scrape(): Promise<string> {
  const mock: RunningMock = await startMockUpstream();
  const gateway: RunningGateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, UPSTREAM_MAX_RETRIES: "0" });
  open.push(mock, gateway);
  await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Hello?") });
  mock.mock.configure({ faults: { fail: { status: 500, times: 1, target: "stream" } } });
  await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Fail, please.") });
  return (await fetch(`${gateway.url}/metrics`)).text();
}

describe("the Grafana dashboard", () => {
  it("is an importable dashboard: a uid, a datasource variable, panels with queries laid out on the 24-column grid", () => {
    expect(dashboard.uid).toBe("staged-reasoning-gateway");
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(["datasource", "instance"]);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of queryPanels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    // The panels the operator asked for are there.
    const titles = queryPanels.map((p) => p.title).join("\n");
    for (const words of [
      /requests per second by outcome/i,
      /per stage/i,
      /upstream errors/i,
      /retries/i,
      /failovers/i,
      /circuit state/i,
      /summary fallbacks/i,
      /bytes kept/i,
    ]) {
      expect(titles).toMatch(words);
    }
  });

  it("queries only metrics and labels the gateway's /metrics has", async () => {
    const text = await scrape();
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
    /** Label names seen on each metric's samples (a histogram's under its own name). */
    const labels = new Map<string, Set<string>>();
    for (const m of text.matchAll(/^([a-z_][a-z0-9_]*)\{([^}]*)\}/gm)) {
      const name = (m[1] ?? "").replace(/_(bucket|sum|count)$/, (s) => (types.get((m[1] ?? "").slice(0, -s.length)) === "histogram" ? "" : s));
      const set = labels.get(name) ?? new Set<string>();
      for (const l of (m[2] ?? "").matchAll(/([a-z_]+)="/g)) set.add(l[1] ?? "");
      labels.set(name, set);
    }
    const base = (name: string) => {
      const h = /^(.*)_(bucket|sum|count)$/.exec(name);
      return h && types.get(h[1] ?? "") === "histogram" ? (h[1] ?? "") : name;
    };
    const queried = new Set<string>();
    for (const expr of exprs) {
      const metrics = [...expr.matchAll(/\bgateway_[a-z0-9_]+\b/g)].map((m) => base(m[0]));
      expect(metrics.length, expr).toBeGreaterThan(0);
      for (const metric of metrics) {
        expect(types.has(metric), `${metric} in /metrics (queried by ${expr})`).toBe(true);
        queried.add(metric);
      }
      // Labels grouped by or matched on must be labels of what the expression reads (le: a histogram's buckets).
      const used = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => (m[1] ?? "").split(",").map((s) => s.trim()));
      used.push(...[...expr.matchAll(/([a-z_]+)=~?"/g)].map((m) => m[1] ?? ""));
      const known = new Set(["le", "instance", ...metrics.flatMap((m) => [...(labels.get(m) ?? [])])]);
      const seen = metrics.some((m) => labels.has(m));
      if (seen) for (const l of used) expect(known.has(l), `label ${l} of ${expr}`).toBe(true);
    }
    // Every stage's latency, the circuit and the resume bytes are on the board.
    for (const m of [
      "gateway_prompt_summary_seconds",
      "gateway_upstream_ttfb_seconds",
      "gateway_reasoning_summary_seconds",
      "gateway_first_output_seconds",
      "gateway_provider_circuit_state",
      "gateway_resume_kept_bytes",
    ]) {
      expect(queried).toContain(m);
    }
  });
});
