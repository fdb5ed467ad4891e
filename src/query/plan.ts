import { DEFAULT_EF_SEARCH } from "../db/hnsw-defaults.ts";
import { HnswState } from "../db/hnsw-state.ts";
import type { ModelMeta, StoreSchema } from "../schema/model-meta.ts";
import { quoteTable } from "../sql/identifiers.ts";
import type { FilterNode } from "./filter-nodes.ts";
import { TRUE } from "./filter-nodes.ts";
import type { CalibrationState, RecallCalibration } from "./recall-calibration.ts";
import { DEFAULT_RECALL_TARGET } from "./recall-calibration.ts";
import type { RecallPoint } from "./recall-probe.ts";
import { EF_LADDER, RECALL_K } from "./recall-probe.ts";
import type { RowEstimates } from "./row-estimates.ts";
import { ESTIMATE_TTL_MS } from "./row-estimates.ts";
import type { SearchClient } from "./run-search.ts";
import { settingsAt } from "./run-search.ts";
import { MAX_EF_SEARCH } from "./search-args.ts";
import { indexesColumn, type VectorIndex, vectorIndexOf } from "./vector-index.ts";

/** What the caller asks for: let the library choose, or force a plan. */
export type PlanChoice = "auto" | "exact" | "hnsw";

/**
 * How a vector search runs:
 * - `exact`: compute the distance of every row that passes the filter (perfect recall; fast when
 *   the filter keeps few rows, which b-tree/GIN indexes then find);
 * - `hnsw`: the HNSW index with `hnsw.ef_search` (no filter, or one that keeps nearly every row);
 * - `hnsw-iterative`: the index under a filter, relying on pgvector 0.8's iterative scan to keep
 *   scanning until enough rows pass it.
 * Both HNSW plans run with `hnsw.iterative_scan = relaxed_order` (rows past the first ef_search
 * come from the iterative scan), so every page of one query reads the same stream.
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
  /** The recall this plan is expected to reach (see `explainSearch`). */
  readonly recall: RecallExpectation;
  /**
   * The HNSW index an HNSW plan walks (`vector`, or `halfvec` with an exact re-rank, see
   * docs/scaling.md); absent for an exact scan.
   */
  readonly index?: VectorIndex | undefined;
}

/** What recall@10 a plan aims for and what was measured for it. */
export interface RecallExpectation {
  /** The recall@10 asked for: the search's `recallTarget`, else the store's (0.95 unfiltered, 0.99 filtered). */
  readonly target: number;
  /**
   * recall@10 measured near the table's own rows at this plan's ef_search, or at the ladder's
   * rung below it when the target is too strict for the sample to resolve (1 for an exact scan);
   * null when not measured (a caller's `efSearch`, a table never calibrated, calibration off).
   */
  readonly expected: number | null;
  /** When the measurement was made; null when there is none. */
  readonly calibratedAt: Date | null;
}

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

/**
 * `hnsw.ef_search` used when the caller gives none: the recall default, and twice the rows the
 * plan is costed for ({@link PlanRequest.limit}, fixed per query, never the page's `skip + take`).
 */
export function defaultEfSearch(limit: number, filtered: boolean): number {
  const ef = filtered ? DEFAULT_EF_SEARCH.filtered : DEFAULT_EF_SEARCH.unfiltered;
  return Math.min(MAX_EF_SEARCH, Math.max(ef, 2 * limit));
}

/**
 * The rows the auto plan's cost model assumes a search wants, whatever its `skip` and `take`:
 * the plan (and its ef_search) must be the same for every page of one query, or the pages would
 * come from different lists. Top-10 is what the cost constants and the recall calibration were
 * measured for.
 */
export const PLAN_ROWS = 10;

/** What the plan choice reads: the schema, and the estimates and recall calibration of this store. */
export interface PlanContext {
  readonly schema: StoreSchema;
  readonly estimates: RowEstimates;
  /** Without it, HNSW plans run at {@link DEFAULT_EF_SEARCH}. */
  readonly recall?: RecallCalibration | undefined;
  /** The tables' HNSW indexes (a bulk load drops them for a while); absent: read per store. */
  readonly hnsw?: HnswState | undefined;
}

export interface PlanRequest {
  readonly choice: PlanChoice;
  /**
   * Rows the plan is costed for: {@link PLAN_ROWS} for a similarity search, the candidates per
   * list for a hybrid one. Fixed per query (never the page's `skip + take`), so every page of a
   * query runs the same plan with the same ef_search.
   */
  readonly limit: number;
  readonly efSearch?: number | undefined;
  /** recall@10 to aim for; default the store's target for filtered or unfiltered searches. */
  readonly recallTarget?: number | undefined;
}

/**
 * Picks the plan for a vector search over `model` rows passing `filter` (issue #11), from the
 * planner's row estimates (remembered for a few seconds, see {@link RowEstimates}) and, for
 * HNSW plans without a caller's `efSearch`, the store's recall calibration of the table
 * (measured when missing or stale, see {@link RecallCalibration}).
 */
export async function choosePlan(
  client: SearchClient,
  ctx: PlanContext,
  model: ModelMeta,
  filter: FilterNode,
  request: PlanRequest,
): Promise<SearchPlan> {
  const filtered = filter !== TRUE;
  const targets = ctx.recall?.targets;
  if (request.choice === "exact") return decidePlan(request, filtered, undefined, { targets });
  const indexes = await hnswState(ctx).indexes(client, quoteTable(model));
  if (!indexesColumn(indexes, model.embeddingColumn)) {
    const exact = decidePlan({ ...request, choice: "exact" }, filtered, undefined, { targets });
    return {
      ...exact,
      reason: `no usable HNSW index on ${model.vectorField} (a bulk load is rebuilding it): an exact scan`,
    };
  }
  const calibrate = ctx.recall !== undefined && request.efSearch === undefined;
  const index = vectorIndexOf(indexes, model.embeddingColumn);
  const withIndex = (plan: SearchPlan): SearchPlan => (plan.kind === "exact" ? plan : { ...plan, index });
  if (request.choice !== "auto") {
    if (!calibrate) return withIndex(decidePlan(request, filtered, undefined, { targets }));
    const total = await estimatedRows(client, ctx, model, TRUE);
    const state = await ctx.recall?.get(
      client,
      model,
      total,
      probeShare(total),
      index,
      await settingsAt(client, ctx, model),
    );
    return withIndex(decidePlan(request, filtered, undefined, { targets, ...state }));
  }
  const total = await estimatedRows(client, ctx, model, TRUE);
  const kept = filtered ? await estimatedRows(client, ctx, model, filter) : total;
  const counts = { total, kept: Math.min(kept, total), graphs: await ctx.estimates.graphs(client, model) };
  const plan = decidePlan(request, filtered, counts, { targets });
  if (!calibrate || plan.kind === "exact") return withIndex(plan);
  const settings = await settingsAt(client, ctx, model);
  const state = await ctx.recall?.get(client, model, total, probeShare(total), index, settings);
  return withIndex(decidePlan(request, filtered, counts, { targets, ...state }));
}

// One per store, like the row estimates it is keyed on, for a context built without one.
const states = new WeakMap<RowEstimates, HnswState>();

function hnswState(ctx: PlanContext): HnswState {
  if (ctx.hnsw) return ctx.hnsw;
  let state = states.get(ctx.estimates);
  if (!state) {
    state = new HnswState();
    states.set(ctx.estimates, state);
  }
  return state;
}

type Memo = WeakMap<ModelMeta, WeakMap<FilterNode, { rows: number; at: number }>>;
const memos = new WeakMap<RowEstimates, Memo>();

/**
 * The store's row estimate, found by filter node identity first: the model methods reuse one
 * node per distinct `where` (filter-cache.ts), so a repeated filter skips compiling the
 * estimate's SQL and key. Held for half the store's TTL, so at most 1.5x as old as that cache
 * allows; a stale estimate can only pick a slower plan (see {@link RowEstimates}).
 */
async function estimatedRows(client: SearchClient, ctx: PlanContext, model: ModelMeta, filter: FilterNode) {
  let memo = memos.get(ctx.estimates);
  if (!memo) {
    memo = new WeakMap();
    memos.set(ctx.estimates, memo);
  }
  let byNode = memo.get(model);
  if (!byNode) {
    byNode = new WeakMap();
    memo.set(model, byNode);
  }
  const now = Date.now();
  const hit = byNode.get(filter);
  if (hit && now - hit.at < ESTIMATE_TTL_MS / 2) return hit.rows;
  const rows = await ctx.estimates.rows(client, ctx.schema, model, filter);
  byNode.set(filter, { rows, at: now });
  return rows;
}

/**
 * The filter share calibration measures iterative scans under: the smallest share for which an
 * auto plan walks the index (below it an exact scan is cheaper), within 1%..10%. Broader
 * filters find their rows sooner, so their recall is at least as high.
 */
export function probeShare(total: number): number {
  const smallest = (DEFAULT_EF_SEARCH.filtered * HNSW_VISIT_COST) / Math.max(total, 1);
  return Math.min(0.1, Math.max(0.01, smallest));
}

/** The recall targets and, once measured, the table's calibration (or why it failed). */
export interface RecallInput extends CalibrationState {
  readonly targets?: { readonly unfiltered: number; readonly filtered: number } | undefined;
}

/** Estimated rows with a vector, those that pass the filter, and the HNSW graphs a search walks. */
export interface RowCounts {
  readonly total: number;
  readonly kept: number;
  /**
   * The shards of a distributed table (default 1): each walks its own graph until it has `limit`
   * rows, so an HNSW plan costs that many walks, while an exact scan still reads each kept row once.
   */
  readonly graphs?: number;
}

/**
 * The plan by estimated cost: an exact scan reads every row the filter keeps; an HNSW scan
 * visits about max(ef_search, limit / selectivity) candidates in each graph it walks, each
 * visit worth {@link HNSW_VISIT_COST} rows. Without `counts` (a forced plan) it follows `request.choice`.
 * ef_search: the caller's, else the smallest calibrated value whose measured recall clears the
 * target with half the allowed misses to spare, else the default. When no calibrated value
 * reaches the target, an auto plan scans exactly.
 */
export function decidePlan(
  request: PlanRequest,
  filtered: boolean,
  counts?: RowCounts,
  recall: RecallInput = {},
): SearchPlan {
  const targets = recall.targets ?? DEFAULT_RECALL_TARGET;
  const target = request.recallTarget ?? (filtered ? targets.filtered : targets.unfiltered);
  const calibration = recall.calibration;
  const exactPlan = (estimatedRows: number | null, reason: string): SearchPlan => ({
    kind: "exact",
    efSearch: null,
    estimatedRows,
    reason,
    recall: { target, expected: 1, calibratedAt: calibration?.at ?? null },
  });
  const hnsw = (kind: PlanKind, estimatedRows: number | null, reason: string): SearchPlan => {
    const t = tune(request, filtered, kind, target, recall);
    const ef = t.ef ?? t.best?.efSearch ?? defaultEfSearch(request.limit, filtered);
    return {
      kind: request.limit > ef ? "hnsw-iterative" : kind,
      efSearch: ef,
      estimatedRows,
      reason: `${reason}${t.note}`,
      recall: { target, expected: t.ef === null ? (t.best?.recall ?? null) : t.expected, calibratedAt: t.at },
    };
  };
  if (request.choice === "exact") return exactPlan(null, "exact scan requested");
  if (request.choice === "hnsw" || !counts) {
    return hnsw(filtered ? "hnsw-iterative" : "hnsw", null, "HNSW requested");
  }
  const { total, kept, graphs = 1 } = counts;
  const selectivity = total > 0 ? kept / total : 1;
  const about = `about ${Math.round(kept)} rows${filtered ? ` (${pct(selectivity)})` : ""}`;
  const plain = !filtered || selectivity >= KEEPS_ALL;
  const t = tune(request, filtered, plain ? "hnsw" : "hnsw-iterative", target, recall);
  if (t.ef === null) return exactPlan(kept, `${about}${t.note}: an exact scan`);
  const visits = Math.max(t.ef, request.limit / Math.max(selectivity, 1 / Math.max(total, 1)));
  if (kept <= graphs * visits * HNSW_VISIT_COST) {
    const walks = graphs > 1 ? ` walking ${graphs} shards' graphs` : "";
    return exactPlan(kept, `${about} to compare: an exact scan costs less than an HNSW scan${walks} and is exact`);
  }
  if (plain) {
    return hnsw("hnsw", kept, `${about}${filtered ? ", the filter keeps nearly all" : ", no filter"}: HNSW index`);
  }
  if (visits > ITERATIVE_SCAN_BUDGET) {
    return exactPlan(kept, `${about}: an HNSW scan would give up before finding ${request.limit} that pass the filter`);
  }
  return hnsw("hnsw-iterative", kept, `${about}: HNSW with an iterative scan visits fewer rows than an exact scan`);
}

interface Tuning {
  /** null: no measured ef_search reaches the target. */
  readonly ef: number | null;
  readonly expected: number | null;
  readonly at: Date | null;
  /** The best measured point, when none reaches the target. */
  readonly best?: RecallPoint | undefined;
  /** Appended to the plan's reason. */
  readonly note: string;
}

/** ef_search for an HNSW plan of `kind`: the caller's, the calibrated one, or the default. */
function tune(
  request: PlanRequest,
  filtered: boolean,
  kind: PlanKind,
  target: number,
  { calibration, failure }: CalibrationState,
): Tuning {
  if (request.efSearch !== undefined) return { ef: request.efSearch, expected: null, at: null, note: "" };
  if (!calibration) {
    const note = failure === undefined ? "" : `; default ef_search: recall calibration failed (${failure})`;
    return { ef: defaultEfSearch(request.limit, filtered), expected: null, at: null, note };
  }
  const curve = kind === "hnsw" ? calibration.unfiltered : calibration.filtered;
  // Half the allowed misses kept in reserve: the sample is at most 16 of the table's own rows.
  const goal = target + (1 - target) / 2;
  const point = curve.find((p) => p.recall >= goal);
  const measured = `on ${calibration.queries} sampled rows`;
  if (!point) {
    const best = curve.reduce<RecallPoint | undefined>((a, p) => (!a || p.recall > a.recall ? p : a), undefined);
    const reach = best ? `${best.recall.toFixed(3)} at ef_search ${best.efSearch}` : "nothing";
    return {
      ef: null,
      expected: null,
      at: calibration.at,
      best,
      note: `; calibrated recall@10 reaches ${reach} ${measured}, below ${goal.toFixed(3)} (target ${target} with half the misses in reserve)`,
    };
  }
  // A sample of n x 10 neighbours with no miss only shows recall above ~1 - 3 / (10n) (the rule
  // of three): 160 cannot tell 0.99 from 1. For such targets take one rung more.
  const resolvable = (1 - target) * RECALL_K * calibration.queries >= 3;
  const rung = resolvable ? point.efSearch : (EF_LADDER.find((e) => e > point.efSearch) ?? point.efSearch);
  const ef = Math.min(MAX_EF_SEARCH, Math.max(rung, 2 * request.limit));
  return {
    ef,
    expected: point.recall,
    at: calibration.at,
    note: `; ef_search ${ef} from calibration (recall@10 ${point.recall.toFixed(3)} ${measured}, target ${target})`,
  };
}

const pct = (x: number) => `${(x * 100).toPrecision(2)}%`;
