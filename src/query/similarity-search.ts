import { queryRows } from "../db/execute.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { ModelMeta, StoreSchema } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { qualified, quoteIdent, quoteTable } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { vectorParam } from "../sql/vector-binary.ts";
import { compileFilter, ROOT_ALIAS } from "./compile-filter.ts";
import type { FilterNode } from "./filter-nodes.ts";
import type { PlanChoice, PlanContext, SearchPlan } from "./plan.ts";
import { choosePlan, PLAN_ROWS } from "./plan.ts";
import type { RawRow } from "./rows.ts";
import { num, resultFields, selectFields } from "./rows.ts";
import type { SearchClient, SettingsAt } from "./run-search.ts";
import { indexVector, queryPlanned, settingsAt } from "./run-search.ts";
import { indexOrder as indexKey, VECTOR_INDEX } from "./vector-index.ts";

/** A vector search, independent of Prisma's model methods (the LlamaIndex adapter uses it too). */
export interface SimilarityRequest {
  /** Already validated (see `validateQueryVector`). */
  readonly vector: readonly number[];
  readonly filter: FilterNode;
  readonly take: number;
  readonly skip?: number;
  /** Start the page at this row of the list (Prisma's `cursor`); `skip` counts from it. */
  readonly cursor?: string | number | undefined;
  /** Drop rows whose similarity (1 - cosine distance) is below this. */
  readonly minSimilarity?: number | undefined;
  readonly plan?: PlanChoice;
  readonly efSearch?: number | undefined;
  readonly recallTarget?: number | undefined;
}

/** Cosine distance (`<=>`, 0 = same direction, 2 = opposite) and similarity = 1 - distance. */
export interface SimilarityScores {
  /** Cosine distance to the query vector, 0 (same direction) to 2. */
  distance: number;
  /** `1 - distance`, from -1 to 1; higher is more similar. */
  similarity: number;
}

export interface SimilarityResult {
  /** Rows keyed by Prisma field names, most similar first. */
  readonly rows: (RawRow & SimilarityScores)[];
  readonly plan: SearchPlan;
  /** True when the HNSW plan found fewer rows than asked and the exact plan ran instead. */
  readonly fellBack: boolean;
}

/**
 * Builds the statement: the rows passing the filter with a vector, nearest first.
 *
 * The exact plan orders by the distance plus zero, which no index provides, so the planner sorts
 * the filtered rows instead of walking the HNSW index, and orders by `(distance, id)`.
 *
 * The HNSW plans read the index's stream: with ef_search fixed per query and an iterative scan it
 * is one sequence that does not depend on the LIMIT, so the list can be cut from it the same way
 * for every page: blocks of {@link BLOCK_ROWS} stream rows, each sorted by `(distance, id)`. A
 * page fetches the stream up to the end of its last block.
 */
export function buildSimilarityQuery(
  schema: StoreSchema,
  model: ModelMeta,
  request: SimilarityRequest,
  plan: SearchPlan,
  settings: SettingsAt = "statement",
): CompiledQuery {
  const params = new SqlParams();
  const vector = vectorParam(params, request.vector);
  const id = qualified("c", model.idField.name);
  const skip = request.skip ?? 0;
  if (plan.kind === "exact") {
    // `+ 0` leaves the value unchanged but is no expression the HNSW index orders by, so the
    // planner sorts the filtered rows. Unlike a fenced subquery, one flat ORDER BY ... LIMIT is
    // pushed by Citus to every shard, which sends back its own top rows instead of every row
    // that passes the filter.
    return params.finish(
      `${filteredRows(schema, model, request, params, vector, " + 0")} ` +
        `ORDER BY "distance", ${qualified(ROOT_ALIAS, model.idField.column)} ` +
        `LIMIT ${params.param(request.take)} OFFSET ${params.param(skip)}`,
    );
  }
  const inner = filteredRows(schema, model, request, params, vector);
  const blocks = Math.ceil((skip + request.take) / BLOCK_ROWS) * BLOCK_ROWS;
  const stream = `${inner} ORDER BY ${indexOrder(model, params, plan, vector, settings)} FETCH FIRST (${params.param(blocks)}) ROWS WITH TIES`;
  return params.finish(
    `SELECT ${outputColumns(model)} FROM (${streamList(stream, params)}) AS "c" ` +
      `ORDER BY "c"."$block", "c"."distance", ${id} LIMIT ${params.param(request.take)} OFFSET ${params.param(skip)}`,
  );
}

/** The rows passing the filter with a vector, with their `"distance"`; the filter compiled anew into `params`. */
function filteredRows(
  schema: StoreSchema,
  model: ModelMeta,
  request: SimilarityRequest,
  params: SqlParams,
  vector: string,
  distanceSuffix = "",
): string {
  const where = compileFilter(request.filter, { schema, model, params });
  const embedding = qualified(ROOT_ALIAS, model.embeddingColumn);
  return (
    `SELECT ${selectFields(model, ROOT_ALIAS)}, (${embedding} <=> ${vector})${distanceSuffix} AS "distance" ` +
    `FROM ${quoteTable(model)} AS ${quoteIdent(ROOT_ALIAS)} ` +
    `WHERE ${embedding} IS NOT NULL${where === "TRUE" ? "" : ` AND ${where}`}`
  );
}

/**
 * The HNSW index's order-by expression, carrying the plan's settings: the expression of the
 * table's index (a halfvec index orders by the half-precision distance; each block of the
 * stream is then re-sorted by the exact `"distance"`, which re-ranks its candidates).
 */
function indexOrder(
  model: ModelMeta,
  params: SqlParams,
  plan: SearchPlan,
  vector: string,
  settings: SettingsAt,
): string {
  return indexKey(
    plan.index ?? VECTOR_INDEX,
    ROOT_ALIAS,
    model.embeddingColumn,
    indexVector(params, plan, vector, settings),
  );
}

/**
 * Where the cursor's row stands in the list: one row with `"before"`, the rows ahead of it, or
 * no row when the cursor's row is not in the list (it fails the filter, has no vector, or the
 * index's stream does not reach it). The page then is `skip + before`, so pages by cursor are
 * pages by skip. An HNSW lookup walks the stream until it meets the row, then counts the rows
 * ahead of it in the stream up to the end of the row's block.
 */
export function buildCursorQuery(
  schema: StoreSchema,
  model: ModelMeta,
  request: SimilarityRequest & { readonly cursor: string | number },
  plan: SearchPlan,
  settings: SettingsAt = "statement",
): CompiledQuery {
  const params = new SqlParams();
  const vector = vectorParam(params, request.vector);
  // Typed as the id column, so the tie order by id is the column's own (numbers as numbers).
  const idType = model.idField.type;
  const cursor = params.param(request.cursor, idType === "Int" ? "int" : idType === "BigInt" ? "numeric" : "text");
  const id = (alias: string) => qualified(alias, model.idField.name);
  if (plan.kind === "exact") {
    const rows = filteredRows(schema, model, request, params, vector);
    const all = filteredRows(schema, model, request, params, vector);
    return params.finish(
      `SELECT (SELECT count(*) FROM (${all} OFFSET 0) AS "c" ` +
        `WHERE ("c"."distance", ${id("c")}) < ("x"."distance", ${id("x")}))::int AS "before" ` +
        `FROM (${rows}) AS "x" WHERE ${id("x")} = ${cursor}`,
    );
  }
  const stream = filteredRows(schema, model, request, params, vector);
  const lookup = `${stream} ORDER BY ${indexOrder(model, params, plan, vector, settings)}`;
  const prefix = filteredRows(schema, model, request, params, vector);
  const rows = params.param(BLOCK_ROWS);
  const upTo =
    `${prefix} ORDER BY ${indexOrder(model, params, plan, vector, settings)} ` +
    `FETCH FIRST ((SELECT ("$block" + 1) * ${rows} FROM "x")) ROWS WITH TIES`;
  return params.finish(
    `WITH "x" AS (SELECT "l"."$block", "l"."distance" FROM (${streamList(lookup, params)}) AS "l" WHERE ${id("l")} = ${cursor} LIMIT 1) ` +
      `SELECT (SELECT count(*) FROM (${streamList(upTo, params)}) AS "c" ` +
      `WHERE ("c"."$block", "c"."distance", ${id("c")}) < ("x"."$block", "x"."distance", ${cursor}))::int AS "before" FROM "x"`,
  );
}

/**
 * An HNSW list is the index's stream cut into blocks of this many rows, each sorted by
 * `(distance, id)`. pgvector's relaxed-order iterative scan yields rows only roughly in order, so
 * the stream is not sorted as a whole; sorting a prefix that depends on `skip + take` would move
 * rows between pages, sorting fixed blocks does not. The first block is a top-10 as the search
 * always returned it (the first page of a query is unchanged).
 */
export const BLOCK_ROWS = 10;

/**
 * The rows of an index stream with `"$block"`: which block of {@link BLOCK_ROWS} stream rows the
 * row's run of equal distances starts in (a run cut by a block boundary stays in the earlier
 * block; `FETCH FIRST ... WITH TIES` completes it). `$` cannot start a Prisma field name, so the
 * helper columns never shadow a field.
 */
function streamList(stream: string, params: SqlParams): string {
  const numbered =
    `SELECT "n".*, row_number() OVER () AS "$position", ` +
    `CASE WHEN "n"."distance" = lag("n"."distance") OVER () THEN 0 ELSE row_number() OVER () END AS "$start" ` +
    `FROM (${stream}) AS "n"`;
  // No ORDER BY in the windows: they read the stream in the order it arrives and never wait for
  // its end, so the cursor lookup (see buildCursorQuery) stops at the cursor's row.
  return (
    `SELECT "s".*, (max("s"."$start") OVER (ROWS UNBOUNDED PRECEDING) - 1) / ${params.param(BLOCK_ROWS)} AS "$block" ` +
    `FROM (${numbered}) AS "s"`
  );
}

/** The result fields by name and the distance, without the helper columns of {@link streamList}. */
function outputColumns(model: ModelMeta): string {
  return [...resultFields(model).map((f) => qualified("c", f.name)), `"c"."distance"`].join(", ");
}

/**
 * Rows an unfiltered auto plan must estimate before its first page runs as one statement,
 * without forcing the index: sorting the whole table costs PostgreSQL about twice the HNSW
 * scan's start there (3,000 rows: 940 against 470 in its units), so it walks the index by
 * itself. Under a filter it may instead find the rows through another index and sort them, even
 * for 10 rows (seen in test/integration/query-paging at `efSearch: 10`, on a table not yet
 * analyzed), and that page would not be a slice of the stream the later pages read.
 */
export const UNFORCED_MIN_ROWS = 3000;

/** Whether PostgreSQL is trusted to walk the index: the first page of an unfiltered auto plan over many rows. */
function walksIndexUnforced(plan: SearchPlan, request: SimilarityRequest): boolean {
  const estimated = plan.estimatedRows;
  return (
    plan.kind === "hnsw" &&
    estimated !== null &&
    estimated >= UNFORCED_MIN_ROWS &&
    (request.skip ?? 0) + request.take <= PLAN_ROWS
  );
}

/**
 * Nearest rows of `model` to `vector` among those passing `filter`: chooses a plan, runs it, and
 * falls back to an exact scan if an HNSW plan returned fewer rows than asked, so a search never
 * comes back short while enough rows match.
 *
 * @example
 * ```ts
 * const { rows } = await runSimilaritySearch(prisma, ctx, ctx.schema.Annotation, { vector, filter: TRUE, take: 5 });
 * ```
 */
export async function runSimilaritySearch(
  client: SearchClient,
  ctx: PlanContext,
  model: ModelMeta,
  request: SimilarityRequest,
): Promise<SimilarityResult> {
  const choice = {
    choice: request.plan ?? "auto",
    limit: PLAN_ROWS,
    efSearch: request.efSearch,
    recallTarget: request.recallTarget,
  };
  let plan = await choosePlan(client, ctx, model, request.filter, choice);
  const settings = await settingsAt(client, ctx, model);
  const cursor = request.cursor;
  if (cursor !== undefined && plan.kind !== "exact" && settings === "shards") {
    throw new InvalidArgumentError(
      "cursor: a cursor page of an HNSW plan is not supported on a Citus distributed table (finding the cursor's place " +
        "in the index's stream needs a subquery in LIMIT, which Citus refuses over several shards); page with skip, " +
        'or search with plan: "exact"',
      [{ path: ["cursor"], message: "not supported on a Citus distributed table with an HNSW plan" }],
    );
  }
  if (cursor !== undefined) {
    const lookup = buildCursorQuery(ctx.schema, model, { ...request, cursor }, plan, settings);
    const [at] = await queryPlanned<RawRow>(client, lookup, plan, settings, true);
    if (!at) return { rows: [], plan, fellBack: false };
    request = { ...request, cursor: undefined, skip: (request.skip ?? 0) + num(at.before) };
  }
  const query = buildSimilarityQuery(ctx.schema, model, request, plan, settings);
  let raw = await queryPlanned<RawRow>(client, query, plan, settings, !walksIndexUnforced(plan, request));
  let fellBack = false;
  if (plan.kind !== "exact" && raw.length < request.take) {
    plan = {
      ...plan,
      kind: "exact",
      efSearch: null,
      reason: `${plan.reason}; it found ${raw.length} of ${request.take} rows, so an exact scan ran`,
    };
    raw = await queryRows<RawRow>(client, buildSimilarityQuery(ctx.schema, model, request, plan));
    fellBack = true;
  }
  // The driver's rows are this call's own: scored in place rather than copied.
  const rows = raw as (RawRow & SimilarityScores)[];
  for (const r of rows) {
    r.distance = num(r.distance);
    r.similarity = 1 - r.distance;
  }
  const min = request.minSimilarity;
  return { rows: min === undefined ? rows : rows.filter((r) => r.similarity >= min), plan, fellBack };
}
