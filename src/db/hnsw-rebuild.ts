import { randomUUID } from "node:crypto";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { execute, queryRows, type RawClient, toHybridStoreError } from "./execute.ts";
import { readHnswIndexes } from "./hnsw-indexes.ts";
import { lockTable, type PendingMarker, pendingTables, readMark, writeMark } from "./hnsw-pending.ts";

/** The client surface DDL needs: raw SQL and an interactive transaction (one connection). */
export interface TransactionClient extends RawClient {
  $transaction<R>(fn: (tx: RawClient) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
}

/** `maintenance_work_mem` for a plain build (bulkLoad.maintenanceWorkMem's default). */
export const DEFAULT_MAINTENANCE_WORK_MEM = "512MB";

/** How the indexes are built again. */
export interface BuildOptions {
  /** `maintenance_work_mem` for a plain build, when the server's is lower. */
  readonly maintenanceWorkMem: string;
  /** `CREATE INDEX CONCURRENTLY` (writers go on; runs at the server's maintenance_work_mem). */
  readonly concurrently: boolean;
}

/**
 * An index build of a million rows takes many minutes; Prisma's default bound on a transaction
 * (5 s, also for batch transactions) would roll it back. The wait for a connection is longer
 * than its default too: the load's own statements may hold the pool.
 */
const BUILD_TRANSACTION = { maxWait: 60_000, timeout: 6 * 3_600_000 } as const;
/** The drop waits for another process's drop or plain build (advisory lock), within this bound. */
const DROP_TRANSACTION = { maxWait: 60_000, timeout: 60_000 } as const;
const BEAT_TRANSACTION = { maxWait: 5_000, timeout: 10_000 } as const;

/** How long the DROP INDEX may wait for running searches before the load keeps the index. */
const DROP_LOCK_TIMEOUT = "2s";

/**
 * What a load found: it dropped the indexes (or adopted ones a dead load left dropped) and must
 * build them (`owner`); another live load has them dropped and builds them (`joined`); or the
 * indexes stay (`kept`: none usable, a running search held the table, or anything failed).
 */
export type DropOutcome = "owner" | "joined" | "kept";

/**
 * Drops the table's usable HNSW indexes for a load by `owner`, with the marker that lets anyone
 * build them again, in one transaction under the table's advisory lock (so two loads never both
 * drop, and a drop never races a rebuild).
 */
export async function dropForLoad(
  client: TransactionClient,
  relation: string,
  owner: string,
  staleAfterMs: number,
): Promise<DropOutcome> {
  try {
    return await client.$transaction(async (tx) => {
      await lockTable(tx, relation, true);
      await setLocal(tx, "lock_timeout", DROP_LOCK_TIMEOUT);
      const mark = await readMark(tx, relation);
      if (mark.marker && !mark.stale) return "joined";
      const marker: PendingMarker = mark.marker
        ? { ...mark.marker, owner, beat: mark.now, staleAfterMs } // its load died: this one builds them
        : {
            indexes: (await readHnswIndexes(tx, relation))
              .filter((i) => i.usable)
              .map(({ name, definition }) => ({ name, definition })),
            comment: mark.comment,
            owner,
            beat: mark.now,
            staleAfterMs,
          };
      if (marker.indexes.length === 0) return "kept";
      await writeMark(tx, relation, marker, null);
      // A dead CONCURRENTLY build may have left an invalid index of that name: it goes too.
      for (const index of marker.indexes) await dropIndex(tx, relation, index.name);
      return "owner";
    }, DROP_TRANSACTION);
  } catch {
    // Long searches held the table (lock_timeout), or anything else: nothing changed, load with the index.
    return "kept";
  }
}

/** The owner's heartbeat: keeps its marker fresh so nobody takes it for dead. Never throws. */
export async function beat(client: TransactionClient, relation: string, owner: string): Promise<void> {
  try {
    await client.$transaction(async (tx) => {
      if (!(await lockTable(tx, relation, false))) return;
      await setLocal(tx, "lock_timeout", "1s");
      const mark = await readMark(tx, relation);
      if (mark.marker?.owner === owner) await writeMark(tx, relation, { ...mark.marker, beat: mark.now }, null);
    }, BEAT_TRANSACTION);
  } catch {
    // A missed beat: the marker's staleAfterMs allows several.
  }
}

/**
 * Builds the indexes `owner`'s marker names, each from its own `pg_get_indexdef`, and puts the
 * table's comment back. Returns false when the marker is not `owner`'s (another store took it
 * over and builds them). Plain: one transaction under the advisory lock with
 * `maintenance_work_mem` raised, so a failed build leaves the marker and nothing half-made.
 * Concurrently: each build outside any transaction (an invalid leftover of a failed one is
 * dropped), then the marker cleared under the lock.
 */
export async function buildPending(
  client: TransactionClient,
  relation: string,
  owner: string,
  options: BuildOptions,
): Promise<boolean> {
  if (!options.concurrently) {
    return client.$transaction(async (tx) => {
      await lockTable(tx, relation, true);
      const mark = await readMark(tx, relation);
      if (mark.marker?.owner !== owner) return false;
      await queryRows(tx, raiseMaintenanceWorkMem(options.maintenanceWorkMem));
      for (const index of mark.marker.indexes) await run(tx, createStatement(index.definition, false));
      await writeMark(tx, relation, undefined, mark.marker.comment);
      return true;
    }, BUILD_TRANSACTION);
  }
  const mark = await readMark(client, relation);
  if (mark.marker?.owner !== owner) return false;
  for (const index of mark.marker.indexes) {
    try {
      await run(client, createStatement(index.definition, true));
    } catch (error) {
      await client.$transaction((tx) => dropIndex(tx, relation, index.name)).catch(() => undefined);
      throw error;
    }
  }
  return client.$transaction(async (tx) => {
    await lockTable(tx, relation, true);
    const now = await readMark(tx, relation);
    if (now.marker?.owner !== owner) return false;
    await writeMark(tx, relation, undefined, now.marker.comment);
    return true;
  });
}

/**
 * Builds the indexes a dead load left pending on `relation` (its marker is stale): takes the
 * marker over under the advisory lock, then builds as its owner would. Returns whether it built
 * them; false when there is nothing pending, the owner is alive, or another process holds the lock.
 */
export async function repairPending(
  client: TransactionClient,
  relation: string,
  owner: string,
  options: BuildOptions,
): Promise<boolean> {
  const adopted = await client.$transaction(async (tx) => {
    if (!(await lockTable(tx, relation, false))) return false;
    const mark = await readMark(tx, relation);
    if (!mark.marker || !mark.stale) return false;
    await writeMark(tx, relation, { ...mark.marker, owner, beat: mark.now }, null);
    for (const index of mark.marker.indexes) {
      const [found] = (await readHnswIndexes(tx, relation)).filter((i) => i.name === index.name);
      if (found && !found.usable) await dropIndex(tx, relation, index.name);
    }
    return true;
  }, DROP_TRANSACTION);
  return adopted && buildPending(client, relation, owner, options);
}

/** `CREATE INDEX IF NOT EXISTS` (another process may have built it first), maybe CONCURRENTLY. */
function createStatement(definition: string, concurrently: boolean): CompiledQuery {
  const how = concurrently ? "CREATE INDEX CONCURRENTLY IF NOT EXISTS " : "CREATE INDEX IF NOT EXISTS ";
  return { sql: definition.replace(/^CREATE INDEX /, how), params: [] };
}

async function run(client: RawClient, query: CompiledQuery): Promise<void> {
  try {
    await client.$executeRawUnsafe(query.sql);
  } catch (cause) {
    throw toHybridStoreError(cause, query);
  }
}

/** DROP INDEX IF EXISTS in the table's schema, the name quoted by the server. */
async function dropIndex(tx: RawClient, relation: string, name: string): Promise<void> {
  const params = new SqlParams();
  const [row] = await queryRows<{ sql: string }>(
    tx,
    params.finish(`SELECT format('DROP INDEX IF EXISTS %I.%I', n.nspname, ${params.param(name, "text")}) AS "sql"
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass(${params.param(relation)})`),
  );
  if (row) await execute(tx, { sql: row.sql, params: [] });
}

async function setLocal(tx: RawClient, name: string, value: string): Promise<void> {
  const params = new SqlParams();
  await queryRows(tx, params.finish(`SELECT set_config(${params.param(name)}, ${params.param(value)}, true)`));
}

/** `maintenance_work_mem` raised to `size` for this transaction, never lowered. */
function raiseMaintenanceWorkMem(size: string): CompiledQuery {
  const params = new SqlParams();
  const value = params.param(size);
  return params.finish(`SELECT set_config('maintenance_work_mem', ${value}, true)
          WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes(${value})`);
}

/** Whether the server can build without blocking writers: PGlite runs one backend, so there it cannot. */
export async function canBuildConcurrently(client: RawClient): Promise<boolean> {
  const [row] = await queryRows<{ pglite: boolean }>(client, {
    sql: `SELECT position('PGlite' IN version()) > 0 AS "pglite"`,
    params: [],
  });
  return row?.pglite === false;
}

/**
 * Builds every HNSW index a dead bulk load left pending in the database (for `checkDatabase`):
 * the tables it built them on. Needs an interactive transaction; a client without one builds none.
 */
export async function repairAllPending(client: RawClient, options: { maintenanceWorkMem: string }): Promise<string[]> {
  if (typeof (client as Partial<TransactionClient>).$transaction !== "function") return [];
  const tx = client as TransactionClient;
  // Plain, as bulk loads by default: the table gets its index back soonest.
  const build = { ...options, concurrently: false };
  const owner = randomUUID();
  const built: string[] = [];
  for (const relation of await pendingTables(client)) {
    if (await repairPending(tx, relation, owner, build)) built.push(relation);
  }
  return built;
}
