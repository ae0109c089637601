import type { HealthSettings } from "./schema.js";

/** A provider's standing for JSON requests (those with `response_format`), as operators see it. */
export interface JsonStanding {
  /** True while JSON requests skip this provider: its answers kept failing their schema. */
  skipped: boolean;
  /** Schema checks of its answers inside the window, and how many failed. */
  checked: number;
  failed: number;
  /** While skipped: how long until one JSON request may try it again (0 = the next one may). */
  retryInMs: number;
}

export interface JsonChange {
  id: string;
  skipped: boolean;
  reason: string;
}

/**
 * "Cloud-only mode" for JSON: a provider whose answers keep failing their `response_format`
 * schema stops taking JSON requests (other requests are unaffected) until it shows it can answer
 * one again.
 */
export interface SchemaGate {
  /** A checked answer of this provider (the pipeline's validation verdicts). */
  checked(id: string, valid: boolean): void;
  /**
   * May a JSON request go to this provider now? While skipped: no, except once per window (the
   * probe), whose verdict decides whether it takes JSON requests again.
   */
  admits(id: string): boolean;
  standing(id: string): JsonStanding;
  reset(): void;
}

interface Entry {
  /** Checks inside the window: [time, valid], oldest first. */
  checks: [number, boolean][];
  skipped: boolean;
  /** While skipped: when the next probe may go. */
  until: number;
}

/**
 * The in-memory gate, one per router. Rules: with at least `schema_min_requests` checks inside
 * `schema_window_seconds`, a failed share above `schema_failure_rate` skips the provider for JSON
 * requests. Skipped, it gets no JSON requests, so its record cannot improve by itself: once a
 * window has passed, one JSON request may try it (half-open); a valid answer ends the skip with a
 * clean record, an invalid one keeps it skipped for another window. `schema_failure_rate: 1`
 * turns it off.
 */
export function createSchemaGate(health: HealthSettings, now: () => number, onChange: (c: JsonChange) => void = () => undefined): SchemaGate {
  const windowMs = health.schema_window_seconds * 1000;
  const entries = new Map<string, Entry>();
  const entry = (id: string): Entry => {
    let e = entries.get(id);
    if (!e) entries.set(id, (e = { checks: [], skipped: false, until: 0 }));
    return e;
  };
  const trim = (e: Entry): void => {
    const horizon = now() - windowMs;
    while (e.checks.length > 0 && (e.checks[0] as [number, boolean])[0] < horizon) e.checks.shift();
  };
  const failedOf = (e: Entry): number => e.checks.reduce((n, [, ok]) => (ok ? n : n + 1), 0);

  return {
    checked(id, valid) {
      const e = entry(id);
      e.checks.push([now(), valid]);
      trim(e);
      if (e.skipped) {
        if (valid) {
          e.skipped = false;
          // A recovered provider starts clean, or its old failures would skip it again at once.
          e.checks = [[now(), true]];
          onChange({ id, skipped: false, reason: "a JSON answer validated again" });
        } else e.until = now() + windowMs;
        return;
      }
      const failed = failedOf(e);
      if (e.checks.length >= health.schema_min_requests && failed / e.checks.length > health.schema_failure_rate) {
        e.skipped = true;
        e.until = now() + windowMs;
        onChange({
          id,
          skipped: true,
          reason: `${failed} of its last ${e.checks.length} JSON answers failed their schema (over ${health.schema_window_seconds} s)`,
        });
      }
    },
    admits(id) {
      const e = entries.get(id);
      if (!e?.skipped) return true;
      if (now() < e.until) return false;
      // The probe: one request now, the next only after another window unless a verdict comes first.
      e.until = now() + windowMs;
      return true;
    },
    standing(id) {
      const e = entries.get(id);
      if (!e) return { skipped: false, checked: 0, failed: 0, retryInMs: 0 };
      trim(e);
      return { skipped: e.skipped, checked: e.checks.length, failed: failedOf(e), retryInMs: e.skipped ? Math.max(0, e.until - now()) : 0 };
    },
    reset() {
      for (const [id, e] of entries) if (e.skipped) onChange({ id, skipped: false, reason: "reset" });
      entries.clear();
    },
  };
}
