/** Parse Prometheus text into `name{labels}` → value, labels in the order the registry wrote them. */
export function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** The value of the one series of `name` whose labels include every given label, else undefined. */
export function sample(metrics: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const hits = [...metrics].filter(([key]) => (key === name || key.startsWith(`${name}{`)) && want.every((w) => key.includes(w)));
  if (hits.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${hits.length} series`);
  return hits[0]?.[1];
}
