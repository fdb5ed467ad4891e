import type { RawClient } from "../db/execute.ts";
import type { ModelMeta, StoreSchema } from "../schema/model-meta.ts";
import type { FilterNode } from "./filter-nodes.ts";
import { TRUE } from "./filter-nodes.ts";
import type { RowEstimates } from "./row-estimates.ts";
import { MAX_EF_SEARCH } from "./search-args.ts";

/** What the caller asks for: let the library choose, or force a plan. */
export type PlanChoice = "auto" | "exact" | "hnsw";

/**
 * How a vector search runs:
 * - `exact`: compute the distance of every row that passes the filter (perfect recall; fast when
 *   the filter keeps few rows, which b-tree/GIN indexes then find);
 * - `hnsw`: the HNSW index with `hnsw.ef_search` (no filter, or one that keeps nearly every row);
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

/**
 * `hnsw.ef_search` when the caller gives none, chosen for the recall targets on clustered,
 * embedding-like data (100k rows, the migrations' HNSW graph; sweep in docs/search.md):
 * unfiltered, 100 reaches recall@10 0.99 (target 0.95); under a filter an iterative scan needs
 * 150 for 0.999 (target 0.99; 100 gave 0.988). pgvector's own default, 40, gave 0.90 with the
 * default graph.
 */
export const DEFAULT_EF_SEARCH = { unfiltered: 100, filtered: 150 } as const;
/**
 * What visiting one HNSW candidate costs, in rows of an exact scan: a visit computes distances
 * to up to 2·m = 32 neighbours (on random pages), an exact scan one distance per row. Timings at
 * 100k rows put a visit at 6-27 rows; the upper bound keeps exact scans for filters up to a few
 * thousand rows, where an iterative scan's recall was lowest (0.976 under a 10% filter of 10k rows).
 */
export const HNSW_VISIT_COST = 32;
/**
 * An iterative scan gives up after `hnsw.max_scan_tuples` (20,000 by default). When a filter is
 * so selective that finding `limit` rows needs more than half of that, scan exactly instead.
 */
export const ITERATIVE_SCAN_BUDGET = 10_000;
/** A filter estimated to keep at least this share of rows runs as plain HNSW, like no filter. */
const KEEPS_ALL = 0.99;

/** `hnsw.ef_search` used when the caller gives none: the recall default, and twice the rows asked. */
export function defaultEfSearch(limit: number, filtered: boolean): number {
  const ef = filtered ? DEFAULT_EF_SEARCH.filtered : DEFAULT_EF_SEARCH.unfiltered;
  return Math.min(MAX_EF_SEARCH, Math.max(ef, 2 * limit));
}

/** What the plan choice reads: the schema, and the estimates remembered by this store. */
export interface PlanContext {
  readonly schema: StoreSchema;
  readonly estimates: RowEstimates;
}

export interface PlanRequest {
  readonly choice: PlanChoice;
  /** skip + take: rows the index must deliver. */
  readonly limit: number;
  readonly efSearch?: number | undefined;
}

/**
 * Picks the plan for a vector search over `model` rows passing `filter` (issue #11), from the
 * planner's row estimates (remembered for a few seconds, see {@link RowEstimates}).
 */
export async function choosePlan(
  client: RawClient,
  ctx: PlanContext,
  model: ModelMeta,
  filter: FilterNode,
  request: PlanRequest,
): Promise<SearchPlan> {
  const filtered = filter !== TRUE;
  if (request.choice !== "auto") return decidePlan(request, filtered);
  const total = await ctx.estimates.rows(client, ctx.schema, model, TRUE);
  const kept = filtered ? await ctx.estimates.rows(client, ctx.schema, model, filter) : total;
  return decidePlan(request, filtered, { total, kept: Math.min(kept, total) });
}

/** Estimated rows with a vector, and those that pass the filter. */
export interface RowCounts {
  readonly total: number;
  readonly kept: number;
}

/**
 * The plan by estimated cost: an exact scan reads every row the filter keeps; an HNSW scan
 * visits about max(ef_search, limit / selectivity) candidates, each worth
 * {@link HNSW_VISIT_COST} rows. Without `counts` (a forced plan) it follows `request.choice`.
 */
export function decidePlan(request: PlanRequest, filtered: boolean, counts?: RowCounts): SearchPlan {
  const ef = request.efSearch ?? defaultEfSearch(request.limit, filtered);
  const hnsw = (kind: PlanKind, estimatedRows: number | null, reason: string): SearchPlan => ({
    kind: request.limit > ef ? "hnsw-iterative" : kind,
    efSearch: ef,
    estimatedRows,
    reason,
  });
  if (request.choice === "exact") return exactPlan(null, "exact scan requested");
  if (request.choice === "hnsw" || !counts) {
    return hnsw(filtered ? "hnsw-iterative" : "hnsw", null, "HNSW requested");
  }
  const { total, kept } = counts;
  const selectivity = total > 0 ? kept / total : 1;
  const visits = Math.max(ef, request.limit / Math.max(selectivity, 1 / Math.max(total, 1)));
  const about = `about ${Math.round(kept)} rows${filtered ? ` (${pct(selectivity)})` : ""}`;
  if (kept <= visits * HNSW_VISIT_COST) {
    return exactPlan(kept, `${about} to compare: an exact scan costs less than an HNSW scan and is exact`);
  }
  if (!filtered || selectivity >= KEEPS_ALL) {
    return hnsw("hnsw", kept, `${about}${filtered ? ", the filter keeps nearly all" : ", no filter"}: HNSW index`);
  }
  if (visits > ITERATIVE_SCAN_BUDGET) {
    return exactPlan(kept, `${about}: an HNSW scan would give up before finding ${request.limit} that pass the filter`);
  }
  return hnsw("hnsw-iterative", kept, `${about}: HNSW with an iterative scan visits fewer rows than an exact scan`);
}

const exactPlan = (estimatedRows: number | null, reason: string): SearchPlan => ({
  kind: "exact",
  efSearch: null,
  estimatedRows,
  reason,
});

const pct = (x: number) => `${(x * 100).toPrecision(2)}%`;
