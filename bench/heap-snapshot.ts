import { createWriteStream, readFileSync } from "node:fs";
import { openInspector } from "./inspector.js";

/**
 * A heap snapshot of another process, through its inspector, written to `file`. V8 runs a full GC
 * first, so what the snapshot holds is what is live.
 */
export async function takeHeapSnapshot(url: string, file: string): Promise<void> {
  const s = await openInspector(url);
  const out = createWriteStream(file);
  try {
    s.on("HeapProfiler.addHeapSnapshotChunk", (p) => void out.write((p as { chunk: string }).chunk));
    await s.call("HeapProfiler.collectGarbage");
    await s.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false, captureNumericValue: false });
  } finally {
    s.close();
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}

/** Objects of one kind in a snapshot: how many, and their own (shallow) bytes. */
export interface HeapRow {
  key: string;
  count: number;
  bytes: number;
}

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

// Kinds whose V8 "name" is the value itself (a string's text, a number).
const VALUE_KINDS = new Set(["string", "concatenated string", "sliced string", "number", "heap number", "bigint", "symbol"]);
// Kinds that are an object of the program's own (the rest — arrays, property stores, contexts,
// strings, shapes — are charged to the object that holds them).
const OWNER_KINDS = new Set(["object", "closure", "regexp", "native", "synthetic"]);
const NOT_OWNERS = new Set(["system / Context"]);
// Edges that do not keep their target alive, or that V8 adds for its own bookkeeping.
const SKIP_EDGES = new Set(["weak", "shortcut"]);

/**
 * Shallow size by owner: every object of the program's own by its constructor (a plain object by
 * its first property names, a closure by its function name), and what V8 keeps for it — its
 * property and element stores, a closure's context, strings it alone points at — charged to it.
 * Whatever has no owner within four hops is counted by its own kind. Labels in `detail` are split
 * by the label of what holds each one.
 */
export function summarizeSnapshot(file: string, detail: ReadonlySet<string> = new Set()): Map<string, HeapRow> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as SnapshotJson;
  const meta = snap.snapshot.meta;
  const { nodes, edges, strings } = snap;
  const width = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [
    number,
    number,
    number,
    number,
  ];
  const [edgeTypeAt, edgeNameAt, edgeToAt] = ["type", "name_or_index", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
  const count = nodes.length / width;
  const kindOf = (n: number): string => nodeTypes[nodes[n * width + typeAt] ?? 0] ?? "?";
  const nameOf = (n: number): string => strings[nodes[n * width + nameAt] ?? 0] ?? "";
  const isOwner = (n: number): boolean => OWNER_KINDS.has(kindOf(n)) && !NOT_OWNERS.has(nameOf(n));

  // One retainer per node, an owner when it has one; and each node's first edge.
  const firstEdge = new Int32Array(count + 1);
  const retainer = new Int32Array(count).fill(-1);
  for (let pass = 0; pass < 2; pass++) {
    let e = 0;
    for (let n = 0; n < count; n++) {
      firstEdge[n] = e;
      const edgesOfN = nodes[n * width + edgeCountAt] ?? 0;
      const ownerSource = isOwner(n);
      for (let k = 0; k < edgesOfN; k++, e += edgeWidth) {
        if (SKIP_EDGES.has(edgeTypes[edges[e + edgeTypeAt] ?? 0] ?? "")) continue;
        const to = (edges[e + edgeToAt] ?? 0) / width;
        if (retainer[to] === -1 && (pass === 1 || ownerSource)) retainer[to] = n;
      }
    }
    firstEdge[count] = e;
  }

  const labels = new Map<number, string>();
  const labelOf = (n: number): string => {
    let label = labels.get(n);
    if (label !== undefined) return label;
    const kind = kindOf(n);
    const name = nameOf(n);
    if (kind === "closure") label = `closure ${name || "(anonymous)"}`;
    else if (kind === "object" && name === "Object") label = `Object {${propertyNames(n).join(",")}}`;
    // A suspended generator or async function by the function it runs.
    else if (kind === "object" && name === "Generator") label = `Generator ${functionName(n) || "(anonymous)"}`;
    else label = kind === "object" ? name.slice(0, 80) : `(${kind}) ${name.slice(0, 60)}`;
    labels.set(n, label);
    return label;
  };
  const functionName = (n: number): string => {
    for (let e = firstEdge[n] ?? 0; e < (firstEdge[n + 1] ?? 0); e += edgeWidth) {
      const edgeName = edgeTypes[edges[e + edgeTypeAt] ?? 0] === "element" ? "" : (strings[edges[e + edgeNameAt] ?? 0] ?? "");
      if (edgeName === "function") return nameOf((edges[e + edgeToAt] ?? 0) / width);
    }
    return "";
  };
  const propertyNames = (n: number): string[] => {
    const names: string[] = [];
    for (let e = firstEdge[n] ?? 0; e < (firstEdge[n + 1] ?? 0) && names.length < 5; e += edgeWidth) {
      if (edgeTypes[edges[e + edgeTypeAt] ?? 0] === "property") names.push(strings[edges[e + edgeNameAt] ?? 0] ?? "?");
    }
    return names;
  };

  const rows = new Map<string, HeapRow>();
  for (let n = 0; n < count; n++) {
    const size = nodes[n * width + sizeAt] ?? 0;
    let owner = n;
    for (let hops = 0; hops < 4 && !isOwner(owner) && retainer[owner] !== -1; hops++) owner = retainer[owner] ?? -1;
    let key = isOwner(owner) ? labelOf(owner) : VALUE_KINDS.has(kindOf(n)) ? `(${kindOf(n)})` : `(${kindOf(n)}) ${nameOf(n).slice(0, 60)}`;
    // Kinds asked for in detail are told apart by what holds them.
    const holder = retainer[owner] ?? -1;
    if (detail.has(key) && holder !== -1) key = `${key} ← ${labelOf(holder)}`;
    const row = rows.get(key) ?? { key, count: 0, bytes: 0 };
    if (owner === n) row.count++;
    row.bytes += size;
    rows.set(key, row);
  }
  return rows;
}

/** What `after` holds beyond `before`, per unit (a parked stream): largest first. */
export function heapDiff(before: Map<string, HeapRow>, after: Map<string, HeapRow>, units: number): { rows: HeapRow[]; totalBytes: number } {
  const rows: HeapRow[] = [];
  let total = 0;
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    const row = { key, count: (a.count - b.count) / units, bytes: (a.bytes - b.bytes) / units };
    total += row.bytes;
    rows.push(row);
  }
  for (const [key, b] of before) {
    if (after.has(key)) continue;
    rows.push({ key, count: -b.count / units, bytes: -b.bytes / units });
    total -= b.bytes / units;
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  return { rows, totalBytes: total };
}
