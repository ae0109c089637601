import { h, s } from "../dom.js";
import { niceScale, runs, timeTicks } from "./scale.js";
import { clock } from "./format.js";

/*
 * A small line chart in SVG, drawn at the size it is shown (so 11 px text stays 11 px) and with
 * every label placed inside the drawing: y labels right-aligned in a margin sized to the widest
 * one, x labels anchored start/end at the edges instead of hanging over them.
 */

export interface LineSeries {
  name: string;
  /** A class from the stylesheet giving the colour (`s-requests`, `s-p95`, …). */
  cls: string;
  /** One value per bucket; null = nothing measured (a gap, not a zero). */
  values: (number | null)[];
}

export interface ChartSpec {
  /** Start of each bucket, epoch ms, ascending and evenly spaced. */
  times: number[];
  series: LineSeries[];
  /** The legend's "latest" value. */
  format: (v: number) => string;
  /** A y-axis label; `step` is the distance between ticks, so labels never round to the same text. */
  axis: (v: number, step: number) => string;
  /** Shown across the plot when no series has a value above zero. */
  emptyText: string;
}

const CHAR_PX = 6.6; // an 11 px system font's average digit width, rounded up

/** Draws `spec` into `svg` and the matching legend into `legend`. */
export function drawLineChart(svg: SVGSVGElement, legend: HTMLElement, spec: ChartSpec): void {
  const width = Math.max(240, Math.round(svg.clientWidth || 600));
  const height = Math.max(120, Math.round(svg.clientHeight || 200));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();

  let top = 0;
  for (const line of spec.series) for (const v of line.values) if (v !== null && v > top) top = v;
  const y = niceScale(top);
  const yLabels: string[] = [];
  // Nothing to show: a baseline only, rather than a scale that pretends to measure something.
  const ticks = top === 0 ? 0 : Math.round(y.max / y.step);
  for (let k = 0; k <= ticks; k++) yLabels.push(spec.axis(k * y.step, y.step));
  const left = 8 + Math.ceil(Math.max(...yLabels.map((l) => l.length)) * CHAR_PX);
  const right = 10;
  const topPad = 8;
  const bottom = 22;
  const plotW = width - left - right;
  const plotH = height - topPad - bottom;
  const n = spec.times.length;
  const xAt = (i: number): number => left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const yAt = (v: number): number => topPad + plotH - (v / y.max) * plotH;

  yLabels.forEach((label, k) => {
    const py = yAt(k * y.step);
    svg.append(s("line", { class: k === 0 ? "axis" : "grid", x1: left, x2: width - right, y1: py, y2: py }));
    svg.append(s("text", { x: left - 6, y: py + 4, "text-anchor": "end" }, label));
  });

  const first = spec.times[0];
  const last = spec.times[n - 1];
  if (first !== undefined && last !== undefined && n > 1) {
    const perMs = plotW / (last - first);
    for (const t of timeTicks(first, last, Math.floor(plotW / 70))) {
      const px = left + (t - first) * perMs;
      const label = clock(t, false);
      const half = (label.length * CHAR_PX) / 2;
      const anchor = px - half < left - 4 ? "start" : px + half > width - 2 ? "end" : "middle";
      svg.append(s("line", { class: "axis", x1: px, x2: px, y1: topPad + plotH, y2: topPad + plotH + 4 }));
      svg.append(s("text", { x: px, y: height - 6, "text-anchor": anchor }, label));
    }
  }

  for (const line of spec.series) {
    for (const run of runs(line.values)) {
      if (run.length === 1) {
        const [i, v] = run[0] as [number, number];
        svg.append(s("circle", { class: `dot ${line.cls}`, cx: xAt(i), cy: yAt(v), r: 2.5 }));
      } else {
        svg.append(s("polyline", { class: `line ${line.cls}`, points: run.map(([i, v]) => `${xAt(i).toFixed(1)},${yAt(v).toFixed(1)}`).join(" ") }));
      }
    }
  }
  if (top === 0) svg.append(s("text", { class: "empty-msg", x: left + plotW / 2, y: topPad + plotH / 2, "text-anchor": "middle" }, spec.emptyText));

  legend.replaceChildren(
    ...spec.series.map((line) => {
      const latest = [...line.values].reverse().find((v): v is number => v !== null);
      return h(
        "span",
        { data: { series: line.cls } },
        h("span", { class: `key ${line.cls}` }),
        `${line.name}${latest === undefined ? "" : ` · latest ${spec.format(latest)}`}`,
      );
    }),
  );
}
