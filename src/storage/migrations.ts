import type { Db } from "./db.js";

/** One schema change. `id`s only ever grow; an applied migration is never edited. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/**
 * The schema, as plain SQL that PGlite and PostgreSQL both accept unchanged. Column choices:
 * timings as integer ms so they can be aggregated in SQL; the three token counts as integers for
 * the same reason, with the rest of `usage` (provider-specific extras) in `usage_extra`, which is
 * also the marker for "usage was null"; `cost_usd` as double precision so both drivers hand back a
 * JS number (numeric comes back as a string).
 */
export const migrations: readonly Migration[] = [
  {
    id: 1,
    name: "create_requests",
    sql: `
CREATE TABLE requests (
  id                       text PRIMARY KEY,
  started_at               timestamptz NOT NULL,
  ended_at                 timestamptz NOT NULL,
  model                    text NOT NULL,
  summary_model            text NOT NULL,
  stream                   boolean NOT NULL,
  provider                 text,
  route                    jsonb,
  outcome                  text NOT NULL,
  http_status              integer NOT NULL,
  error_code               text,
  error_message            text,
  prompt_summary_ms        integer,
  reasoning_end_ms         integer,
  reasoning_summary_ms     integer,
  first_output_ms          integer,
  total_ms                 integer NOT NULL,
  upstream_ttfb_ms         integer,
  prompt_tokens            integer,
  completion_tokens        integer,
  total_tokens             integer,
  usage_extra              jsonb,
  cost_usd                 double precision,
  prompt_summary           text,
  prompt_summary_source    text,
  reasoning_summary        text,
  reasoning_summary_source text,
  summary_fallbacks        integer NOT NULL DEFAULT 0,
  retries                  integer NOT NULL DEFAULT 0,
  failovers                integer NOT NULL DEFAULT 0,
  request_body             jsonb,
  answer                   text
);
-- The list view pages newest first, optionally narrowed by model or outcome.
CREATE INDEX requests_started_at_idx ON requests (started_at DESC);
CREATE INDEX requests_model_idx ON requests (model, started_at DESC);
CREATE INDEX requests_outcome_idx ON requests (outcome, started_at DESC);
`,
  },
  {
    id: 2,
    name: "requests_write_key",
    // Tells a retried batch (same key: already written) from a second request that reused an
    // x-request-id (another key: stored under a suffixed id). Null on rows written before it.
    sql: "ALTER TABLE requests ADD COLUMN write_key text;",
  },
  {
    id: 3,
    name: "add_key_name",
    // The name of the API key a request used (null when keys are off), so the dashboard can
    // filter by caller; the provider gets an index for the same list view.
    sql: `
ALTER TABLE requests ADD COLUMN key_name text;
CREATE INDEX requests_key_name_idx ON requests (key_name, started_at DESC);
CREATE INDEX requests_provider_idx ON requests (provider, started_at DESC);
`,
  },
  {
    id: 4,
    name: "add_validation",
    // Schema-validated answers: {valid, attempts, escalated, errors?, tries: [{provider, constrained, valid}]};
    // null for requests without a checked response_format.
    sql: "ALTER TABLE requests ADD COLUMN validation jsonb;",
  },
];

// First half of the advisory-lock key: an arbitrary constant that names "the request-log schema
// lock". The second half is the current schema, so deployments (and tests) using different
// schemas in one database never wait for each other.
const LOCK_CLASS = 7_365_106;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order, in one transaction.
 * Safe when several gateways start at once: `pg_advisory_xact_lock` (supported by PGlite too)
 * makes the others wait, and they then find everything applied. Throws if the database is
 * unreachable; nothing is half-applied in that case.
 */
export async function runMigrations(db: Db, list: readonly Migration[] = migrations): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", [LOCK_CLASS]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ id: number }>("SELECT id FROM schema_migrations");
    const done = new Set(rows.map((r) => r.id));
    const applied: number[] = [];
    for (const m of [...list].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      await tx.exec(m.sql);
      await tx.query("INSERT INTO schema_migrations (id, name) VALUES ($1, $2)", [m.id, m.name]);
      applied.push(m.id);
    }
    return applied;
  });
}
