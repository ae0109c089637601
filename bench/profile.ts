import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  fn: string;
  where: string;
  selfMs: number;
  /** Share of all sampled time, idle included. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  sampledMs: number;
  idleMs: number;
  top: ProfileEntry[];
}

/** Shorten a V8 script URL to something readable: project-relative, or `pkg/file` in node_modules. */
function where(url: string, line: number): string {
  if (url === "") return "(native)";
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("node_modules/");
  const short = nm >= 0 ? path.slice(nm + "node_modules/".length) : relative(process.cwd(), path);
  return `${short}:${line + 1}`;
}

/**
 * Self time per function of a `.cpuprofile` (Chrome DevTools format, as `node --cpu-prof`
 * writes it): each sample's time delta goes to the frame it landed in; same-named frames of the
 * same line are merged.
 */
export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, ProfileEntry>();
  let sampled = 0;
  let idle = 0;
  p.samples.forEach((id, i) => {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    sampled += dt;
    const node = byId.get(id);
    if (!node) return;
    const fn = node.callFrame.functionName || "(anonymous)";
    if (fn === "(idle)") idle += dt;
    const key = `${fn}@${node.callFrame.url}:${node.callFrame.lineNumber}`;
    const entry = self.get(key) ?? { fn, where: where(node.callFrame.url, node.callFrame.lineNumber), selfMs: 0, pct: 0 };
    entry.selfMs += dt;
    self.set(key, entry);
  });
  const round = (x: number): number => Math.round(x * 10) / 10;
  const entries = [...self.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top)
    .map((e) => ({ ...e, selfMs: round(e.selfMs), pct: round((100 * e.selfMs) / Math.max(1, sampled)) }));
  return { file, sampledMs: round(sampled), idleMs: round(idle), top: entries };
}

/**
 * The main thread's `.cpuprofile` in `dir`: `--cpu-prof` writes one per thread, and tsx's loader
 * thread has one too; the main thread's, which did the work, is by far the largest.
 */
export function mainProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  return files[0];
}
