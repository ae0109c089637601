/*
 * Numbers as the dashboard shows them: rates rounded to whole percents (but never "100 %" while
 * something failed, nor "0 %" while something succeeded), durations in the unit that reads best.
 */

export function percent(part: number, whole: number): string {
  if (whole <= 0) return "–";
  const p = Math.round((100 * part) / whole);
  if (p === 100 && part < whole) return ">99 %";
  if (p === 0 && part > 0) return "<1 %";
  return `${p} %`;
}

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(v / 60_000)} min ${Math.round((v % 60_000) / 1000)} s`;
}

/** Requests per second with as many decimals as make sense. */
export function perSecond(v: number): string {
  if (v === 0) return "0";
  if (v < 0.1) return v.toFixed(2);
  if (v < 10) return v.toFixed(1);
  return String(Math.round(v));
}

export function uptime(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  return h < 48 ? `${h} h ${Math.floor((seconds % 3600) / 60)} min` : `${Math.floor(h / 24)} days`;
}

/** "5 s ago", "3 min ago". */
export function ago(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "–";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** Local wall-clock time, HH:MM:SS (or HH:MM). */
export function clock(t: number | string, withSeconds = true): string {
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ""}`;
}

/** A duration already measured on the server, as "3 s ago". */
export function agoMs(ms: number): string {
  return ago(new Date(Date.now() - ms).toISOString(), Date.now());
}
