import { EVENT_KEYS } from "./analyse.js";
import type { ScheduleResult } from "./schedule.js";

const W = 820;
const H = 380;
const M = { top: 48, right: 120, bottom: 64, left: 64 };
const COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f"];
const FLOOR = 0.1;

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Hand-written SVG, no chart library: per event, one bar per concurrency at the p50 added delay,
 * a whisker up to p99 with a tick at p95, on a log scale (c=1 and c=200 differ by orders of
 * magnitude), with the targets (p50 ≤ 1 ms, p99 ≤ 5 ms) as dashed lines.
 */
export function scheduleSvg(levels: ScheduleResult[]): string {
  const maxP99 = Math.max(10, ...levels.flatMap((l) => EVENT_KEYS.map((k) => l.added[k]?.p99 ?? 0)));
  const top = 10 ** Math.ceil(Math.log10(maxP99));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (ms: number): number => M.top + plotH * (1 - (Math.log10(Math.max(FLOOR, ms)) - Math.log10(FLOOR)) / (Math.log10(top) - Math.log10(FLOOR)));
  const groupW = plotW / EVENT_KEYS.length;
  const barW = Math.min(36, (groupW * 0.7) / Math.max(1, levels.length));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="20" font-size="15" font-weight="bold">Gateway's added delay per event against the ideal schedule</text>`);
  out.push(`<text x="${M.left}" y="37" fill="#555">bar = p50, whisker = p99 (tick at p95); ms, log scale; ideal from the mock's own timestamps</text>`);
  for (let v = FLOOR; v <= top * 1.0001; v *= 10) {
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v < 1 ? v.toFixed(1) : v.toFixed(0)}</text>`);
  }
  out.push(`<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">added delay (ms)</text>`);
  for (const [ms, label, color] of [
    [1, "p50 target 1 ms", "#59a14f"],
    [5, "p99 target 5 ms", "#e15759"],
  ] as const) {
    const yy = y(ms).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${W - M.right + 2}" y1="${yy}" y2="${yy}" stroke="${color}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${W - M.right + 6}" y="${y(ms).toFixed(1)}" dominant-baseline="middle" fill="${color}">${label}</text>`);
  }
  EVENT_KEYS.forEach((key, g) => {
    const gx = M.left + g * groupW + (groupW - barW * levels.length) / 2;
    levels.forEach((level, i) => {
      const s = level.added[key];
      if (!s) return;
      const x = gx + i * barW;
      const cx = (x + barW / 2).toFixed(1);
      const color = COLORS[i % COLORS.length] ?? "#888";
      out.push(
        `<rect x="${(x + 2).toFixed(1)}" y="${y(s.p50).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(M.top + plotH - y(s.p50)).toFixed(1)}" fill="${color}"><title>${esc(`${key} c=${level.concurrency}: p50 ${s.p50} p95 ${s.p95} p99 ${s.p99} ms`)}</title></rect>`,
      );
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y(s.p50).toFixed(1)}" y2="${y(s.p99).toFixed(1)}" stroke="#222"/>`);
      out.push(
        `<line x1="${(x + barW / 2 - 5).toFixed(1)}" x2="${(x + barW / 2 + 5).toFixed(1)}" y1="${y(s.p99).toFixed(1)}" y2="${y(s.p99).toFixed(1)}" stroke="#222"/>`,
      );
      out.push(
        `<line x1="${(x + barW / 2 - 3).toFixed(1)}" x2="${(x + barW / 2 + 3).toFixed(1)}" y1="${y(s.p95).toFixed(1)}" y2="${y(s.p95).toFixed(1)}" stroke="#222"/>`,
      );
    });
    out.push(`<text x="${(M.left + g * groupW + groupW / 2).toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle">${esc(key)}</text>`);
  });
  levels.forEach((level, i) => {
    const x = M.left + i * 130;
    out.push(`<rect x="${x}" y="${H - 22}" width="12" height="12" fill="${COLORS[i % COLORS.length] ?? "#888"}"/>`);
    out.push(`<text x="${x + 18}" y="${H - 12}">concurrency ${level.concurrency}</text>`);
  });
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#333"/>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
