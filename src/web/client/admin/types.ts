/*
 * The JSON the dashboard reads. Where the server has a type for it, it is reused (type-only, erased
 * by esbuild); these files are imported one by one rather than through their room's door because
 * the doors also export Node-only code (logger, metrics), which the browser config must not see.
 */
import type { MonitorEvent, MonitorStats } from "../../../observability/monitor.js";
import type { Series as ServerSeries, SeriesBucket } from "../../../observability/series.js";
import type { NumbersScope } from "../../../observability/fleet-numbers.js";
import type { LatencyKey } from "../../../observability/stats.js";
import type { RequestRecord } from "../../../events/observer.js";

/** A value after a JSON round trip: dates become ISO strings. */
export type Json<T> = T extends Date ? string : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;

export type { MonitorEvent, SeriesBucket, LatencyKey };

/** Whose requests the figures cover: every replica's (Redis, or every worker's), or this replica's alone. */
export interface Scoped {
  scope?: NumbersScope;
  /** Replicas (or workers) whose requests the figures include. */
  replicas?: number;
}

export type Series = ServerSeries & Scoped;

/** One replica of the fleet (src/fleet/registry.ts): the gateway itself is always one. */
export interface Replica {
  id: string;
  version: string;
  started_at: string;
  in_flight: number;
  /** How long ago the replica last sent its heartbeat (0 for this one). */
  last_seen_ms: number;
  self: boolean;
}

export type StatsResponse = MonitorStats &
  Scoped & {
    request_log: { queued: number; written: number; dropped: number; failedWrites: number; healthy: boolean; starting: boolean } | null;
    fleet?: Replica[];
    /** `off` when no REDIS_URL is set: then the fleet is this process alone. */
    redis?: "off" | "up" | "down";
  };

/** `GET /v1/providers` (built in src/http/provider-routes.ts). */
export interface ProvidersResponse {
  providers: {
    id: string;
    tier: string;
    state: string;
    in_flight: number;
    requests: number;
    successes: number;
    failures: number;
    success_rate: number | null;
    latency_ewma_ms: number | null;
    cooldown_remaining_ms: number | null;
    /** Cloud-only mode: JSON requests skip a provider whose answers keep failing their schema. */
    json?: { skipped: boolean; checked: number; failed: number; retry_in_ms: number };
  }[];
  routes: { model: string; strategy: string; providers: string[] }[];
}

export type RequestRow = Json<RequestRecord>;

export interface RequestsResponse {
  requests: RequestRow[];
  next_before: string | null;
}
