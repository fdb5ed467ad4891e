import { randomUUID } from "node:crypto";
import { CitusTables } from "../db/citus-tables.ts";
import { queryRows, type RawClient } from "../db/execute.ts";
import { readMark } from "../db/hnsw-pending.ts";
import {
  type BuildOptions,
  beat,
  buildPending,
  canBuildConcurrently,
  DEFAULT_MAINTENANCE_WORK_MEM,
  type DropOutcome,
  dropForLoad,
  repairPending,
  type TransactionClient,
} from "../db/hnsw-rebuild.ts";
import type { HnswState } from "../db/hnsw-state.ts";
import { InvalidArgumentError } from "../errors.ts";
import { type ModelName, modelOf, type StoreSchema } from "../schema/model-meta.ts";
import { quoteTable } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";

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
  /** `maintenance_work_mem` for a plain build, when the server's is lower. Default "512MB". */
  maintenanceWorkMem?: string;
  /**
   * Build with `CREATE INDEX CONCURRENTLY` on a PostgreSQL server, so other writers need not
   * wait for the build. It runs at the server's own `maintenance_work_mem` (Prisma's pool gives
   * no session to raise it in) and reads the table twice: 100k rows took 4.6x as long as the
   * plain build in one measurement (docs/concepts.md), so it is for tables that take writes
   * during a load. PGlite always builds plainly (one backend: nothing runs beside a build
   * anyway). Default false.
   */
  concurrently?: boolean;
  /**
   * How long a load's pending rebuild may go without a heartbeat (one every quarter of this)
   * before another store takes the load for dead and builds the index itself. Default 30,000.
   */
  staleAfterMs?: number;
}

export const DEFAULT_BULK_LOAD = {
  minRows: 10_000,
  share: 0.25,
  maintenanceWorkMem: DEFAULT_MAINTENANCE_WORK_MEM,
  concurrently: false,
  staleAfterMs: 30_000,
} as const;

export type { TransactionClient };

/**
 * Loads at index-build speed: pgvector inserts every row into the HNSW graph as it arrives,
 * which costs several times what building the graph once over all rows costs. For a load that
 * is large relative to its table this drops the table's HNSW indexes, runs the load and
 * recreates each index from its own `pg_get_indexdef` (so the migration's definition comes
 * back exactly), on a PostgreSQL server `CONCURRENTLY` (writers go on), else in one transaction
 * with `maintenance_work_mem` raised.
 *
 * Nothing is lost when the process dies between drop and build: the definitions wait in the
 * table's comment (db/hnsw-pending.ts), kept fresh by a heartbeat; once that stops, the next
 * load, this store's next search of the table ({@link HnswState.onMissing}) or `checkDatabase`
 * builds them. Loads of one table in other processes coordinate through an advisory lock: the
 * second joins the first's drop instead of dropping again, and only the owner builds.
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
  readonly #repairing = new Set<string>();
  readonly #citus = new CitusTables();
  /** Who this store is in the markers it writes. */
  readonly #owner = randomUUID();
  #concurrently: Promise<boolean> | undefined;

  constructor(
    private readonly client: TransactionClient,
    private readonly schema: StoreSchema,
    private readonly state: HnswState,
    private readonly options: Required<BulkLoadOptions> | undefined,
  ) {
    if (options) state.onMissing = (relation) => this.repairInBackground(relation);
  }

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

  /**
   * Builds the indexes a dead load left pending on `relation`, if any (see db/hnsw-pending.ts).
   * Resolves to whether it built them.
   */
  async repair(relation: string): Promise<boolean> {
    if (!this.options || this.#held.has(relation)) return false;
    // One read outside a transaction first: a table without an index and without a marker is the common case.
    if (!(await readMark(this.client, relation)).stale) return false;
    const built = await repairPending(this.client, relation, this.#owner, await this.buildOptions());
    if (built) this.state.forget(relation);
    return built;
  }

  private repairInBackground(relation: string): void {
    if (this.#repairing.has(relation)) return;
    this.#repairing.add(relation);
    // A search must not wait for a build: it scans exactly meanwhile. A failure is retried at the next read.
    this.repair(relation)
      .catch(() => false)
      .finally(() => this.#repairing.delete(relation));
  }

  private async take(relation: string, rows: number | undefined): Promise<boolean> {
    let held = this.#held.get(relation);
    if (!held) {
      if (!(await this.worthDropping(relation, rows))) return false;
      held = this.#held.get(relation); // another load of this process got here first
    }
    if (!held) {
      const options = this.options!;
      held = { count: 0, outcome: dropForLoad(this.client, relation, this.#owner, options.staleAfterMs) };
      this.#held.set(relation, held);
      this.state.setDeferred(relation, true);
      const entry = held;
      void held.outcome.then((outcome) => {
        if (outcome !== "owner" || this.#held.get(relation) !== entry) return;
        entry.beat = setInterval(() => void beat(this.client, relation, this.#owner), options.staleAfterMs / 4);
        entry.beat.unref();
      });
    }
    held.count++;
    if ((await held.outcome) !== "kept") return true;
    this.leave(relation, held);
    return false;
  }

  private async worthDropping(relation: string, rows: number | undefined): Promise<boolean> {
    if (!this.options) return false;
    if (rows !== undefined && rows < this.options.minRows) return false;
    if ((await this.#citus.kind(this.client, relation)) !== "local") return false;
    return rows === undefined || rows >= this.options.share * (await liveRows(this.client, relation));
  }

  private leave(relation: string, held: Held): void {
    if (--held.count > 0 || this.#held.get(relation) !== held) return;
    clearInterval(held.beat);
    this.#held.delete(relation);
    this.state.setDeferred(relation, false);
  }

  private async release(relation: string): Promise<void> {
    const held = this.#held.get(relation);
    if (!held) return;
    if (held.count > 1) {
      held.count--;
      return;
    }
    clearInterval(held.beat);
    try {
      const options = await this.buildOptions();
      if ((await held.outcome) === "owner") {
        const build = () => buildPending(this.client, relation, this.#owner, options);
        await build().catch(build);
      } else {
        // Joined another process's load: if that one died meanwhile, build for it.
        await repairPending(this.client, relation, this.#owner, options).catch(() => false);
      }
    } finally {
      this.leave(relation, held);
    }
  }

  private async buildOptions(): Promise<BuildOptions> {
    const options = this.options ?? DEFAULT_BULK_LOAD;
    this.#concurrently ??= options.concurrently ? canBuildConcurrently(this.client) : Promise.resolve(false);
    this.#concurrently.catch(() => {
      this.#concurrently = undefined;
    });
    return { maintenanceWorkMem: options.maintenanceWorkMem, concurrently: await this.#concurrently };
  }
}

interface Held {
  /** Loads of this process inside the drop. */
  count: number;
  readonly outcome: Promise<DropOutcome>;
  /** The owner's heartbeat (see db/hnsw-pending.ts). */
  beat?: NodeJS.Timeout;
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
  if (typeof merged.concurrently !== "boolean") throw bad("concurrently", "a boolean");
  if (
    !(typeof merged.staleAfterMs === "number" && merged.staleAfterMs >= 100 && Number.isFinite(merged.staleAfterMs))
  ) {
    throw bad("staleAfterMs", "a finite number >= 100");
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
  const params = new SqlParams();
  const [row] = await queryRows<{ n: number }>(
    client,
    params.finish(`SELECT greatest(coalesce(s.n_live_tup, 0), c.reltuples, 0)::float8 AS n
      FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid
      WHERE c.oid = to_regclass(${params.param(relation)})`),
  );
  return row?.n ?? 0;
}
