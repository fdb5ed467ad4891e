import type { RawClient } from "../db/execute.ts";
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
  const mode = params.param(plan.kind === "hnsw-iterative" ? "relaxed_order" : "off");
  return (
    `(SELECT CASE WHEN (set_config('hnsw.ef_search', ${ef}, true) || ` +
    `set_config('hnsw.iterative_scan', ${mode}, true)) IS NOT NULL THEN ${vector} END)`
  );
}
