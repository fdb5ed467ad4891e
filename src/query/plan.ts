import type { RawClient } from "../db/execute.ts";
import { queryRows } from "../db/execute.ts";
import { qualified, quoteIdent } from "../db/sql.ts";
import type { ModelMeta, StoreSchema } from "../schema/model-meta.ts";
import { compileFilter, ROOT_ALIAS } from "./compile-filter.ts";
import type { FilterNode } from "./filter-nodes.ts";
import { TRUE } from "./filter-nodes.ts";
import { MAX_EF_SEARCH } from "./search-args.ts";
import { SqlParams } from "./sql-builder.ts";

/** What the caller asks for: let the library choose, or force a plan. */
export type PlanChoice = "auto" | "exact" | "hnsw";

/**
 * How a vector search runs:
 * - `exact`: compute the distance of every row that passes the filter (perfect recall; fast when
 *   the filter keeps few rows, which b-tree/GIN indexes then find);
 * - `hnsw`: the HNSW index with `hnsw.ef_search` (no filter, or a broad one);
 * - `hnsw-iterative`: the index with pgvector 0.8's `hnsw.iterative_scan = relaxed_order`, which
 *   keeps scanning until enough rows pass the filter.
 */
export type PlanKind = "exact" | "hnsw" | "hnsw-iterative";

/** The plan a search ran with, and why (see `explainSearch`). */
export interface SearchPlan {
  readonly kind: PlanKind;
  /** `hnsw.ef_search` for the HNSW plans, null for `exact`. */
  readonly efSearch: number | null;
  /** The planner's estimate of the rows that pass the filter and have a vector, when asked. */
  readonly estimatedRows: number | null;
  readonly reason: string;
}

/** Up to this many matching rows (estimated), an exact scan is fast enough and always right. */
export const EXACT_MAX_ROWS = 10_000;
/**
 * An iterative scan gives up after `hnsw.max_scan_tuples` (20,000 by default). When a filter is
 * so selective that finding `limit` rows needs more than half of that, scan exactly instead.
 */
export const ITERATIVE_SCAN_BUDGET = 10_000;

/** `hnsw.ef_search` used when the caller gives none: at least pgvector's 40, and twice the rows asked. */
export function defaultEfSearch(limit: number): number {
  return Math.min(MAX_EF_SEARCH, Math.max(40, 2 * limit));
}

export interface PlanRequest {
  readonly choice: PlanChoice;
  /** skip + take: rows the index must deliver. */
  readonly limit: number;
  readonly efSearch?: number | undefined;
}

/** Picks the plan for a vector search over `model` rows passing `filter` (issue #11). */
export async function choosePlan(
  client: RawClient,
  schema: StoreSchema,
  model: ModelMeta,
  filter: FilterNode,
  request: PlanRequest,
): Promise<SearchPlan> {
  const ef = request.efSearch ?? defaultEfSearch(request.limit);
  const hnsw = (estimatedRows: number | null, reason: string): SearchPlan => {
    const iterative = filter !== TRUE || request.limit > ef;
    return { kind: iterative ? "hnsw-iterative" : "hnsw", efSearch: ef, estimatedRows, reason };
  };
  if (request.choice === "exact") return exactPlan(null, "exact scan requested");
  if (request.choice === "hnsw") return hnsw(null, "HNSW requested");

  const estimated = await estimateRows(client, schema, model, filter);
  if (estimated <= EXACT_MAX_ROWS) {
    return exactPlan(
      estimated,
      `about ${estimated} rows to compare (<= ${EXACT_MAX_ROWS}): an exact scan is fast and exact`,
    );
  }
  if (filter === TRUE) return hnsw(estimated, `no filter over about ${estimated} rows: HNSW index`);
  const total = await estimateRows(client, schema, model, TRUE);
  const selectivity = total > 0 ? estimated / total : 1;
  if (request.limit / selectivity > ITERATIVE_SCAN_BUDGET) {
    return exactPlan(
      estimated,
      `filter keeps ${pct(selectivity)} of rows: an HNSW scan would give up before finding ${request.limit}`,
    );
  }
  return hnsw(estimated, `filter keeps about ${estimated} rows (${pct(selectivity)}): HNSW with iterative scan`);
}

const exactPlan = (estimatedRows: number | null, reason: string): SearchPlan => ({
  kind: "exact",
  efSearch: null,
  estimatedRows,
  reason,
});

const pct = (x: number) => `${(x * 100).toPrecision(2)}%`;

/** The planner's row estimate for `SELECT 1 FROM table WHERE embedding IS NOT NULL AND filter`. */
export async function estimateRows(client: RawClient, schema: StoreSchema, model: ModelMeta, filter: FilterNode) {
  const params = new SqlParams();
  const where = compileFilter(filter, { schema, model, params });
  const sql =
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${quoteIdent(model.table)} AS ${quoteIdent(ROOT_ALIAS)} ` +
    `WHERE ${qualified(ROOT_ALIAS, model.embeddingColumn)} IS NOT NULL AND ${where}`;
  const rows = await queryRows<Record<string, unknown>>(client, params.finish(sql));
  return planRows(rows[0]?.["QUERY PLAN"]);
}

function planRows(plan: unknown): number {
  const parsed = typeof plan === "string" ? JSON.parse(plan) : plan;
  const rows = (parsed as { Plan?: { "Plan Rows"?: unknown } }[] | undefined)?.[0]?.Plan?.["Plan Rows"];
  return typeof rows === "number" ? rows : Number.POSITIVE_INFINITY;
}
