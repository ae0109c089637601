/*
 * The arithmetic behind the charts, apart from the DOM so it is unit-tested directly.
 */

/** A round upper bound and step for the y axis: steps of 1, 2 or 5 × 10^k, at most `maxTicks`. */
export function niceScale(max: number, maxTicks = 4): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 0.25 };
  const rough = max / maxTicks;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((st) => st >= rough) ?? 10 * pow;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

/** Decimals needed to write multiples of `step` exactly (0.05 → 2, 0.5 → 1, 5 → 0). */
export function decimalsFor(step: number): number {
  for (let d = 0; d < 6; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 6;
}

const MINUTE = 60_000;

/** Tick times on whole multiples of a round number of minutes, at most `maxTicks` of them. */
export function timeTicks(start: number, end: number, maxTicks: number): number[] {
  const span = Math.max(1, end - start);
  const step = [1, 2, 5, 10, 15, 30, 60].map((m) => m * MINUTE).find((st) => span / st <= Math.max(1, maxTicks)) ?? 60 * MINUTE;
  const out: number[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) out.push(t);
  return out;
}

/** Runs of consecutive non-null values, as [index, value] pairs: each run is one polyline. */
export function runs(values: readonly (number | null)[]): [number, number][][] {
  const out: [number, number][][] = [];
  let cur: [number, number][] = [];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (cur.length > 0) out.push(cur);
      cur = [];
    } else cur.push([i, v]);
  });
  if (cur.length > 0) out.push(cur);
  return out;
}
