import { SqlParams } from "../sql/sql-params.ts";
import { execute, queryRows, type RawClient } from "./execute.ts";
import type { HnswIndex } from "./hnsw-indexes.ts";

/**
 * What a bulk load that dropped a table's HNSW indexes leaves in the table's COMMENT until it
 * has built them again, so that a load that dies in between (process killed, server restart)
 * loses nothing: the next load, the store's next search or `checkDatabase` builds them from here.
 *
 * Why the table's comment and not a table of our own: it is written in the same transaction as
 * the DROP INDEX (so it exists exactly when the indexes are gone), it needs no privilege beyond
 * the table ownership DROP INDEX already needs, it works the same on PGlite and PostgreSQL, and
 * Prisma's migrations do not compare comments, so it causes no drift (a table of ours in the
 * user's schema would make `prisma migrate dev` ask for a reset). The table's own comment is kept
 * inside and put back.
 */
export interface PendingMarker {
  readonly indexes: readonly Pick<HnswIndex, "name" | "definition">[];
  /** The table's comment before the load. */
  readonly comment: string | null;
  /** The load that builds them (a random id per store). */
  readonly owner: string;
  /** Server time (epoch seconds) of the owner's last heartbeat. */
  readonly beat: number;
  /** Without a heartbeat for this long (and no index build running), the owner is taken for dead. */
  readonly staleAfterMs: number;
}

const PREFIX = "prisma-hybrid-store: HNSW indexes dropped by a bulk load, pending rebuild: ";

/** The table's comment, the marker in it (if any), and whether its owner looks dead. */
export interface TableMark {
  readonly comment: string | null;
  readonly marker: PendingMarker | undefined;
  /** Server time, epoch seconds. */
  readonly now: number;
  readonly stale: boolean;
}

export async function readMark(client: RawClient, relation: string): Promise<TableMark> {
  const params = new SqlParams();
  const table = `to_regclass(${params.param(relation)})`;
  const [row] = await queryRows<{ comment: string | null; now: number; building: boolean }>(
    client,
    params.finish(`SELECT obj_description(${table}, 'pg_class') AS "comment",
        extract(epoch FROM clock_timestamp())::float8 AS "now",
        EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p WHERE p.relid = ${table}) AS "building"`),
  );
  const comment = row?.comment ?? null;
  const now = row?.now ?? 0;
  const marker = parseMarker(comment);
  // An index build shows in pg_stat_progress_create_index: a CONCURRENTLY build is alive without beats.
  const stale = marker !== undefined && !row?.building && (now - marker.beat) * 1000 > marker.staleAfterMs;
  return { comment, marker, now, stale };
}

export function parseMarker(comment: string | null): PendingMarker | undefined {
  if (!comment?.startsWith(PREFIX)) return undefined;
  try {
    const m = JSON.parse(comment.slice(PREFIX.length)) as PendingMarker;
    return Array.isArray(m.indexes) && typeof m.owner === "string" ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Sets the marker, or (undefined) puts the table's own comment back. */
export async function writeMark(
  tx: RawClient,
  relation: string,
  marker: PendingMarker | undefined,
  comment: string | null,
): Promise<void> {
  const text = marker ? PREFIX + JSON.stringify(marker) : comment;
  // COMMENT takes no parameters: the server quotes the value (%L) and the table's name (regclass).
  const params = new SqlParams();
  const [row] = await queryRows<{ sql: string }>(
    tx,
    params.finish(
      `SELECT format('COMMENT ON TABLE %s IS %L', to_regclass(${params.param(relation)}), ${params.param(text, "text")}) AS "sql"`,
    ),
  );
  if (row) await execute(tx, { sql: row.sql, params: [] });
}

/**
 * The transaction-level advisory lock that orders drops, heartbeats and rebuilds of one table
 * across processes. `wait: false` returns whether it was free.
 */
export async function lockTable(tx: RawClient, relation: string, wait: boolean): Promise<boolean> {
  const params = new SqlParams();
  const key = `hashtextextended('prisma-hybrid-store:hnsw:' || to_regclass(${params.param(relation)})::oid::text, 0)`;
  const [row] = await queryRows<{ locked: boolean }>(
    tx,
    params.finish(
      wait
        ? `SELECT true AS "locked" FROM (SELECT pg_advisory_xact_lock(${key})) AS l`
        : `SELECT pg_try_advisory_xact_lock(${key}) AS "locked"`,
    ),
  );
  return row?.locked === true;
}

/** Tables whose comment holds a marker, schema-qualified (for `checkDatabase`). */
export async function pendingTables(client: RawClient): Promise<string[]> {
  const params = new SqlParams();
  const rows = await queryRows<{ relation: string }>(
    client,
    params.finish(`SELECT format('%I.%I', n.nspname, c.relname) AS "relation"
      FROM pg_catalog.pg_description d
      JOIN pg_catalog.pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND starts_with(d.description, ${params.param(PREFIX)}) ORDER BY 1`),
  );
  return rows.map((r) => r.relation);
}
