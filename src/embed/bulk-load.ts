import { CitusTables } from "../db/citus-tables.ts";
import { type CompiledQuery, queryRows, type RawClient, toHybridStoreError } from "../db/execute.ts";
import { type HnswIndex, type HnswState, readHnswIndexes } from "../db/hnsw-indexes.ts";
import { quoteIdent, quoteTable } from "../db/sql.ts";
import { InvalidArgumentError } from "../errors.ts";
import { type ModelName, modelOf, type StoreSchema } from "../schema/model-meta.ts";

/**
 * When a load drops a table's HNSW index and builds it once at the end, instead of inserting
 * every row into the graph as it arrives (docs/concepts.md, "Bulk loads").
 *
 * @example
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(hybridStore({ bulkLoad: { minRows: 50_000 } }));
 * ```
 */
export interface BulkLoadOptions {
  /** Loads of fewer rows keep the index. Default 10,000. */
  minRows?: number;
  /** ...and so do loads of fewer than `share` x the rows already in the table. Default 0.25. */
  share?: number;
  /** `maintenance_work_mem` for the build, when the server's is lower. Default "512MB". */
  maintenanceWorkMem?: string;
}

export const DEFAULT_BULK_LOAD = { minRows: 10_000, share: 0.25, maintenanceWorkMem: "512MB" } as const;

/** The client surface a rebuild needs: raw SQL and an interactive transaction (one connection). */
export interface TransactionClient extends RawClient {
  $transaction<R>(fn: (tx: RawClient) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
}

/**
 * An index build of a million rows takes many minutes; Prisma's default bound on a transaction
 * (5 s, also for batch transactions) would roll it back. The wait for a connection is longer
 * than its default too: the load's own statements may hold the pool.
 */
const BUILD_TRANSACTION = { maxWait: 60_000, timeout: 6 * 3_600_000 } as const;
const DROP_TRANSACTION = { maxWait: 60_000, timeout: 60_000 } as const;

/** How long the DROP INDEX may wait for running searches before the load keeps the index. */
const DROP_LOCK_TIMEOUT = "2s";

interface Held {
  count: number;
  readonly indexes: readonly HnswIndex[];
}

/**
 * Loads at index-build speed: pgvector inserts every row into the HNSW graph as it arrives,
 * which costs several times what building the graph once over all rows costs. For a load that
 * is large relative to its table this drops the table's HNSW indexes, runs the load and
 * recreates each index from its own `pg_get_indexdef` (so the migration's definition comes
 * back exactly) in one transaction with `maintenance_work_mem` raised.
 *
 * While the index is gone searches stay exact: this process's plans know (see
 * {@link HnswState}), and without the index PostgreSQL sorts every row. The rebuild runs in
 * `finally`, so a load that throws (a bad row, the embedder, a lost connection) still gets its
 * index back; rows other writers add meanwhile are in the table the build reads. Overlapping
 * loads of one table in this process share one drop and one build. Not done on Citus
 * (index DDL there is per shard) nor inside a caller's transaction.
 */
export class BulkLoad {
  readonly #held = new Map<string, Held>();
  readonly #citus = new CitusTables();

  constructor(
    private readonly client: TransactionClient,
    private readonly schema: StoreSchema,
    private readonly state: HnswState,
    private readonly options: Required<BulkLoadOptions> | undefined,
  ) {}

  /**
   * Runs `load` (about `rows` rows into `models`) with the HNSW indexes dropped when the load
   * is large: always when `rows` is undefined (the caller asked), else by the store's options.
   */
  async around<T>(models: readonly ModelName[], rows: number | undefined, load: () => Promise<T>): Promise<T> {
    const taken: string[] = [];
    for (const model of models) {
      const relation = quoteTable(modelOf(this.schema, model));
      if (await this.take(relation, rows)) taken.push(relation);
    }
    let result: T;
    try {
      result = await load();
    } catch (error) {
      // The load's own error matters more than a failed rebuild (which release() retried).
      await Promise.allSettled(taken.map((relation) => this.release(relation)));
      throw error;
    }
    const released = await Promise.allSettled(taken.map((relation) => this.release(relation)));
    const failed = released.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    return result;
  }

  private async take(relation: string, rows: number | undefined): Promise<boolean> {
    const held = this.#held.get(relation);
    if (held) {
      held.count++;
      return true;
    }
    if (!this.options) return false;
    if (rows !== undefined && rows < this.options.minRows) return false;
    if ((await this.#citus.kind(this.client, relation)) !== "local") return false;
    if (rows !== undefined && rows < this.options.share * (await liveRows(this.client, relation))) return false;
    // Another process may have dropped it: its load rebuilds it, this one just writes.
    const indexes = (await readHnswIndexes(this.client, relation)).filter((i) => i.usable);
    const raced = this.#held.get(relation); // another load of this process got here first
    if (raced) {
      raced.count++;
      return true;
    }
    if (indexes.length === 0) return false;
    this.#held.set(relation, { count: 1, indexes });
    this.state.setDeferred(relation, true);
    try {
      await this.client.$transaction(async (tx) => {
        await tx.$queryRawUnsafe(`SELECT set_config('lock_timeout', $1, true)`, DROP_LOCK_TIMEOUT);
        for (const index of indexes) await tx.$executeRawUnsafe(`DROP INDEX IF EXISTS ${indexName(relation, index)}`);
      }, DROP_TRANSACTION);
    } catch {
      // Long searches held the table (lock_timeout), or anything else: load with the index.
      this.#held.delete(relation);
      this.state.setDeferred(relation, false);
      return false;
    }
    return true;
  }

  private async release(relation: string): Promise<void> {
    const held = this.#held.get(relation);
    if (!held || --held.count > 0) return;
    try {
      await this.rebuild(held.indexes).catch(() => this.rebuild(held.indexes));
    } finally {
      this.#held.delete(relation);
      this.state.setDeferred(relation, false);
    }
  }

  private async rebuild(indexes: readonly HnswIndex[]): Promise<void> {
    const memory = this.options?.maintenanceWorkMem ?? DEFAULT_BULK_LOAD.maintenanceWorkMem;
    for (const index of indexes) {
      const query: CompiledQuery = { sql: ifNotExists(index.definition), params: [] };
      try {
        // One transaction: the setting lasts only for this build, and a failed build leaves nothing half-made.
        await this.client.$transaction(async (tx) => {
          await tx.$queryRawUnsafe(
            `SELECT set_config('maintenance_work_mem', $1, true)
              WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes($1)`,
            memory,
          );
          await tx.$executeRawUnsafe(query.sql);
        }, BUILD_TRANSACTION);
      } catch (cause) {
        throw toHybridStoreError(cause, query);
      }
    }
  }
}

/** The store's bulk-load options, checked; undefined for `false` (loads keep the index). */
export function bulkLoadOptions(options: BulkLoadOptions | false | undefined): Required<BulkLoadOptions> | undefined {
  if (options === false) return undefined;
  const merged = { ...DEFAULT_BULK_LOAD, ...options };
  const bad = (key: string, expected: string) =>
    new InvalidArgumentError(`bulkLoad.${key} must be ${expected}`, [{ path: ["bulkLoad", key], message: expected }]);
  if (!Number.isSafeInteger(merged.minRows) || merged.minRows < 0) throw bad("minRows", "an integer >= 0");
  if (!(typeof merged.share === "number" && merged.share >= 0 && Number.isFinite(merged.share))) {
    throw bad("share", "a finite number >= 0");
  }
  if (typeof merged.maintenanceWorkMem !== "string" || !/^\d+\s*(kB|MB|GB)$/.test(merged.maintenanceWorkMem)) {
    throw bad("maintenanceWorkMem", 'a size such as "512MB"');
  }
  return merged;
}

/**
 * Rows in the table now: the statistics collector's live count, which follows inserts and
 * deletes without ANALYZE (PGlite runs no autovacuum, but keeps this count right).
 */
async function liveRows(client: RawClient, relation: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(client, {
    sql: `SELECT greatest(coalesce(s.n_live_tup, 0), c.reltuples, 0)::float8 AS n
      FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid
      WHERE c.oid = to_regclass($1)`,
    params: [relation],
  });
  return row?.n ?? 0;
}

/** The index, qualified with the table's schema when the table is (quoteTable's form). */
function indexName(relation: string, index: HnswIndex): string {
  const schema = relation.match(/^("(?:[^"]|"")*")\./)?.[1];
  return schema ? `${schema}.${quoteIdent(index.name)}` : quoteIdent(index.name);
}

/** Another process's load may have built it first. */
function ifNotExists(definition: string): string {
  return definition.replace(/^CREATE INDEX /, "CREATE INDEX IF NOT EXISTS ");
}
