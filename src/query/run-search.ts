import type { CompiledQuery, RawClient } from "../db/execute.ts";
import { queryRows, toHybridStoreError } from "../db/execute.ts";
import type { SearchPlan } from "./plan.ts";
import type { SqlParams } from "./sql-builder.ts";

/**
 * A Prisma client (base, extended or interactive-transaction) as the search runners use it.
 * `$transaction` is absent on a transaction client.
 */
export interface SearchClient extends RawClient {
  $transaction?: unknown;
}

/**
 * The query vector as the HNSW index's `ORDER BY` argument, carrying the plan's pgvector
 * settings, so a planned search is one statement and one round trip (no `BEGIN; set_config;
 * query; COMMIT` batch):
 *
 * `(SELECT CASE WHEN (set_config('hnsw.ef_search', $ef, true) || set_config('hnsw.iterative_scan', $mode, true)) IS NOT NULL THEN $vector END)`
 *
 * Why this is applied, and only to this statement:
 * - An uncorrelated scalar subquery is an InitPlan; the index scan's order-by key is its
 *   output, so PostgreSQL must evaluate it (and with it both `set_config` calls, which `||`
 *   both evaluates) before the first `hnswgettuple`, which is where pgvector 0.8 reads
 *   `hnsw.ef_search`, `hnsw.iterative_scan` and `hnsw.max_scan_tuples`. A data dependency, not
 *   an evaluation-order assumption. (Only the planner's cost estimate still sees the session's
 *   ef_search: it reads the setting at plan time.)
 * - `is_local = true` outside a transaction block lasts until the end of the statement's
 *   implicit transaction, so nothing reaches the next query on a pooled connection. Inside a
 *   caller's interactive transaction the settings last until that transaction ends, as
 *   `SET LOCAL` would.
 * Proved on both targets by test/integration/query-one-statement.test.ts.
 */
export function indexVector(params: SqlParams, plan: SearchPlan, vector: string): string {
  if (plan.kind === "exact" || plan.efSearch === null) return vector;
  const ef = params.param(String(plan.efSearch));
  // An iterative scan for both HNSW plans: without one, a plain scan ends after ef_search rows,
  // and a page past them would come from another plan. Relaxed order keeps the recall of the
  // rows found after the first ef_search (strict order drops every row found out of order:
  // recall@10 0.7 instead of 1.0 in test/integration/query-similarity); pages cut the stream
  // into fixed blocks instead of sorting it (buildSimilarityQuery).
  const mode = params.param("relaxed_order");
  return (
    `(SELECT CASE WHEN (set_config('hnsw.ef_search', ${ef}, true) || ` +
    `set_config('hnsw.iterative_scan', ${mode}, true)) IS NOT NULL THEN ${vector} END)`
  );
}

/**
 * Planner settings under which the only way to order by distance is the HNSW index. `enable_sort`
 * also marks the statement's own small sorts (the list's order) as disabled, and the cost that
 * adds would trigger JIT compilation (about 1 s per statement measured), hence `jit` off.
 */
const FORCE_INDEX =
  "SELECT set_config('enable_sort', $1, true), set_config('enable_seqscan', $1, true), set_config('jit', $1, true)";

/**
 * Runs an HNSW statement with the planner's sort and sequential scan off, so PostgreSQL walks the
 * index whatever the LIMIT. Left to itself it sorts the filtered rows once `skip + take` is large
 * for the table (3,000 rows: from about 250), and a page read from a sort is not a slice of the
 * index's stream that the smaller pages of the same query read. Planner settings must be in
 * place before the statement is planned, so this is a batch transaction (`BEGIN; set_config;
 * query; COMMIT`); inside a caller's interactive transaction the settings are put back after.
 */
export async function queryIndexRows<T>(client: SearchClient, query: CompiledQuery): Promise<T[]> {
  if (typeof client.$transaction === "function") {
    const batch = client.$transaction as (queries: PromiseLike<unknown>[]) => PromiseLike<unknown[]>;
    try {
      const results = await batch.call(client, [
        client.$executeRawUnsafe(FORCE_INDEX, "off"),
        client.$queryRawUnsafe<T[]>(query.sql, ...query.params),
      ]);
      return results[1] as T[];
    } catch (cause) {
      throw toHybridStoreError(cause, query);
    }
  }
  const [before] = await queryRows<{ sort: string; seqscan: string; jit: string }>(client, {
    sql: "SELECT current_setting('enable_sort') AS sort, current_setting('enable_seqscan') AS seqscan, current_setting('jit') AS jit",
    params: [],
  });
  await queryRows(client, { sql: FORCE_INDEX, params: ["off"] });
  try {
    return await queryRows<T>(client, query);
  } finally {
    await queryRows(client, {
      sql: "SELECT set_config('enable_sort', $1, true), set_config('enable_seqscan', $2, true), set_config('jit', $3, true)",
      params: [before?.sort ?? "on", before?.seqscan ?? "on", before?.jit ?? "on"],
    });
  }
}
