import { ExtensionMissingError, SchemaMismatchError } from "../errors.ts";
import { quoteIdent } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { DEFAULT_EF_SEARCH } from "./hnsw-defaults.ts";

/**
 * One database session (a `pg.Client`, or a client checked out of a `pg.Pool`): distributing
 * sets session settings, so it cannot go through a pool that may switch connections.
 */
export interface SqlSession {
  /** Runs `text` with `$n` placeholders bound to `values` (as `pg`'s `Client.query` does). */
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Which tables to distribute, and how. The defaults are the bundled schema's names. */
export interface DistributeOptions {
  /** Becomes a reference table (a copy on every node). Default `Document`. */
  readonly documentTable?: string;
  /** Becomes a hash-distributed table. Default `Annotation`. */
  readonly annotationTable?: string;
  /** The distribution column of the annotation table: its primary key. Default `id`. */
  readonly distributionColumn?: string;
  /** Shards of the annotation table; {@link SHARDS_PER_WORKER} per active worker when unset. */
  readonly shardCount?: number;
}

/** How a table is placed: `local` (not yet distributed), `reference`, or hash-`distributed` by a column. */
export type TablePlacement =
  | { readonly kind: "local" }
  | { readonly kind: "reference" }
  | { readonly kind: "distributed"; readonly column: string; readonly shards: number }
  | { readonly kind: "other"; readonly method: string };

/** What {@link distributeOnCitus} found and did: each table's placement afterwards. */
export interface DistributeResult {
  /** The tables this call changed (empty when both were distributed already). */
  readonly changed: readonly string[];
  readonly document: TablePlacement;
  readonly annotation: TablePlacement;
}

/**
 * Settings `distribute` makes the database's defaults (`ALTER DATABASE ... SET` on the
 * coordinator reaches the workers' database too). A search sets `hnsw.ef_search` and
 * `hnsw.iterative_scan` per query with `set_config(..., true)` on the coordinator, and Citus does
 * not pass that on to the shards: they would search with pgvector's defaults (ef_search 40, no
 * iterative scan, so a filtered HNSW scan returns too few rows or misses near ones). With these,
 * every shard searches with the library's filtered default and keeps scanning until enough rows
 * pass the filter; a per-query `efSearch` does not reach the shards.
 */
export const CITUS_DATABASE_SETTINGS = {
  "hnsw.ef_search": String(DEFAULT_EF_SEARCH.filtered),
  "hnsw.iterative_scan": "relaxed_order",
  // A `SET LOCAL` (not `set_config`) of the app's own then reaches the shards, as on one server.
  "citus.propagate_set_commands": "local",
  // In Citus's default (parallel) mode a transaction that wrote to several shards of
  // "Annotation" may not then write "Document" (a reference table): ingest replacing a file's
  // chunks does exactly that. Sequential mode writes the shards one after another instead.
  "citus.multi_shard_modify_mode": "sequential",
} as const;

/**
 * Makes the store's tables distributed on a Citus coordinator: the document table a reference
 * table and the annotation table hash-distributed by its primary key, in one transaction.
 *
 * Why this layout: Citus requires the distribution column in every primary key and unique
 * constraint. The annotation key is `id` alone, so distributing by `id` needs no change to the
 * Prisma schema; distributing by `documentId` would need a composite key `(id, documentId)`,
 * which changes every `findUnique({ where: { id } })`. The document table has a unique `source`
 * and is far smaller than its chunks: as a reference table it keeps every constraint, and the
 * annotations' foreign key (with its cascade delete) stays valid on every node.
 *
 * The save-hook triggers come along only with `citus.enable_unsafe_triggers` (Citus refuses a
 * table with triggers otherwise), set for this transaction only. Safe to run again: tables
 * already placed this way are left alone.
 */
export async function distributeOnCitus(
  session: SqlSession,
  options: DistributeOptions = {},
): Promise<DistributeResult> {
  const documentTable = options.documentTable ?? "Document";
  const annotationTable = options.annotationTable ?? "Annotation";
  const column = options.distributionColumn ?? "id";
  await requireCitus(session);
  let document = await tablePlacement(session, documentTable);
  let annotation = await tablePlacement(session, annotationTable);
  if (document.kind !== "local" && document.kind !== "reference") {
    throw new SchemaMismatchError(
      `"${documentTable}" is already distributed, not a reference table: ${describe(document)}.`,
    );
  }
  if (annotation.kind === "distributed" ? annotation.column !== column : annotation.kind !== "local") {
    throw new SchemaMismatchError(
      `"${annotationTable}" is already placed another way (${describe(annotation)}), not distributed by "${column}".`,
    );
  }
  const changed: string[] = [];
  if (document.kind === "local" || annotation.kind === "local") {
    await session.query("BEGIN");
    try {
      await session.query("SELECT set_config('citus.enable_unsafe_triggers', 'on', true)");
      if (document.kind === "local") {
        const reference = new SqlParams();
        const table = reference.param(quoteIdent(documentTable), "regclass");
        await session.query(`SELECT create_reference_table(${table})`, [...reference.values]);
        changed.push(documentTable);
      }
      if (annotation.kind === "local") {
        const shards = options.shardCount ?? (await defaultShardCount(session));
        const p = new SqlParams();
        const call = `create_distributed_table(${p.param(quoteIdent(annotationTable), "regclass")}, ${p.param(column)}, shard_count => ${p.param(String(shards), "int")})`;
        await session.query(`SELECT ${call}`, [...p.values]);
        changed.push(annotationTable);
      }
      await session.query("COMMIT");
    } catch (error) {
      await session.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    document = await tablePlacement(session, documentTable);
    annotation = await tablePlacement(session, annotationTable);
  }
  await setDatabaseDefaults(session);
  return { changed, document, annotation };
}

/**
 * Shards per worker when the caller names no count. Every shard is one task per search: with
 * Citus's default 32 a 2-worker cluster searched 3-8x slower under a filter than with 2 or 4
 * shards (docs/benchmarks/citus.md). Two per worker rather than one leaves shards to move when a
 * worker is added (`citus_rebalance_start`).
 */
export const SHARDS_PER_WORKER = 2;

async function defaultShardCount(session: SqlSession): Promise<number> {
  const { rows } = await session.query(
    "SELECT count(*)::int AS n FROM pg_dist_node WHERE groupid > 0 AND noderole = 'primary' AND isactive",
  );
  return SHARDS_PER_WORKER * Math.max(1, (rows[0] as { n: number }).n);
}

/** Sets {@link CITUS_DATABASE_SETTINGS} as the database's defaults (new sessions, every node). */
async function setDatabaseDefaults(session: SqlSession): Promise<void> {
  const { rows } = await session.query("SELECT current_database() AS name");
  const database = quoteIdent((rows[0] as { name: string }).name);
  for (const [name, value] of Object.entries(CITUS_DATABASE_SETTINGS)) {
    // ALTER DATABASE takes no parameters; names and values are the constants above.
    await session.query(`ALTER DATABASE ${database} SET ${name} = '${value}'`);
  }
}

/** Fails with a clear error unless the database is a Citus coordinator. */
export async function requireCitus(session: SqlSession): Promise<void> {
  const { rows } = await session.query("SELECT 1 FROM pg_extension WHERE extname = 'citus'");
  if (rows.length === 0) {
    throw new ExtensionMissingError(
      "This database has no Citus extension: connect to a Citus coordinator (DATABASE_URL) where " +
        "`CREATE EXTENSION citus` ran and the workers are added (docs/scaling.md).",
    );
  }
}

/** Where a table stands in Citus's metadata. */
export async function tablePlacement(session: SqlSession, table: string): Promise<TablePlacement> {
  const params = new SqlParams();
  const relation = `to_regclass(${params.param(quoteIdent(table))})`;
  const { rows } = await session.query(
    `SELECT ${relation} IS NOT NULL AS "exists", p.partmethod AS "method", p.repmodel AS "replication",
            column_to_column_name(p.logicalrelid, p.partkey) AS "column",
            (SELECT count(*)::int FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid) AS "shards"
     FROM (SELECT 1) AS one LEFT JOIN pg_dist_partition p ON p.logicalrelid = ${relation}`,
    [...params.values],
  );
  const row = rows[0] as {
    exists: boolean;
    method: string | null;
    replication: string | null;
    column: string | null;
    shards: number | null;
  };
  if (!row.exists) {
    throw new SchemaMismatchError(`Table "${table}" does not exist: run the migrations on the coordinator first.`);
  }
  // A table linked to a reference table by a foreign key can be in Citus's metadata as a
  // "Citus local table" (method n, not replicated 't'): still on the coordinator only.
  if (row.method === null || (row.method === "n" && row.replication !== "t")) return { kind: "local" };
  if (row.method === "n") return { kind: "reference" };
  if (row.method === "h" && row.column !== null)
    return { kind: "distributed", column: row.column, shards: row.shards ?? 0 };
  return { kind: "other", method: row.method };
}

function describe(p: TablePlacement): string {
  switch (p.kind) {
    case "distributed":
      return `hash-distributed by "${p.column}" in ${p.shards} shards`;
    case "other":
      return `Citus partition method "${p.method}"`;
    default:
      return p.kind;
  }
}
