/**
 * Returns a function that passes through the first `limit` distinct values and maps every later
 * one to `other`. Used for label values that come from clients (model names): each distinct label
 * value is a new time series held forever, so an uncapped label is a memory leak any caller can
 * trigger.
 */
export function createLabelCap(limit: number, other: string): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= limit) return other;
    seen.add(value);
    return value;
  };
}
