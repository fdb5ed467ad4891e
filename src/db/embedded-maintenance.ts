import type { PGlite } from "@electric-sql/pglite";
import { quoteIdent } from "../sql/identifiers.ts";

/** What one maintenance pass did to one table. */
export interface MaintenanceAction {
  readonly table: string;
  readonly action: "VACUUM ANALYZE" | "ANALYZE";
}

// PostgreSQL's autovacuum defaults (autovacuum_vacuum_threshold, _scale_factor, ...).
const VACUUM_THRESHOLD = 50;
const VACUUM_SCALE = 0.2;
const INSERT_THRESHOLD = 1000;
const INSERT_SCALE = 0.2;
const ANALYZE_THRESHOLD = 50;
const ANALYZE_SCALE = 0.1;

interface TableStats {
  schema: string;
  table: string;
  reltuples: number;
  dead: number;
  inserted: number;
  modified: number;
}

/**
 * What autovacuum and autoanalyze would do, for a database that has neither (PGlite runs one
 * backend and no background workers): tables whose dead rows, inserts or changes since the last
 * ANALYZE pass autovacuum's default thresholds get `VACUUM ANALYZE` or `ANALYZE`. Without it,
 * repeated delete + insert leaves the planner's estimates far above the live rows and HNSW
 * graphs full of dead entries (issue #17). The caller runs it only while no client holds the
 * backend, never inside a client's transaction; `vacuum: false` (a short idle moment) runs only
 * the cheap ANALYZEs and reports the VACUUMs it left for a longer one (an HNSW index makes
 * VACUUM slow, and every client waits while it runs).
 */
export async function maintainTables(
  db: PGlite,
  options: { vacuum: boolean },
): Promise<{ actions: MaintenanceAction[]; vacuumDeferred: boolean }> {
  // Statistics reach the shared view at most once a second; flush this backend's now so a
  // pass sees the writes just made (the next statement does the flush).
  await db.query("SELECT pg_stat_force_next_flush()");
  const { rows } = await db.query<TableStats>(
    `SELECT s.schemaname AS schema, s.relname AS table, greatest(c.reltuples, 0)::float8 AS reltuples,
            s.n_dead_tup::float8 AS dead, s.n_ins_since_vacuum::float8 AS inserted,
            s.n_mod_since_analyze::float8 AS modified
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid`,
  );
  const actions: MaintenanceAction[] = [];
  let vacuumDeferred = false;
  for (const t of rows) {
    const vacuum =
      t.dead > VACUUM_THRESHOLD + VACUUM_SCALE * t.reltuples ||
      t.inserted > INSERT_THRESHOLD + INSERT_SCALE * t.reltuples;
    const analyze = t.modified > ANALYZE_THRESHOLD + ANALYZE_SCALE * t.reltuples;
    if (vacuum && !options.vacuum) vacuumDeferred = true;
    if (!(vacuum && options.vacuum) && !analyze) continue;
    const action = vacuum && options.vacuum ? "VACUUM ANALYZE" : "ANALYZE";
    await db.exec(`${action} ${quoteIdent(t.schema)}.${quoteIdent(t.table)}`);
    actions.push({ table: `${t.schema}.${t.table}`, action });
  }
  return { actions, vacuumDeferred };
}
