import type { CompiledQuery } from "../db/execute.ts";
import { queryRows } from "../db/execute.ts";
import { qualified, quoteIdent, quoteTable, vectorToSql } from "../db/sql.ts";
import type { ModelMeta, StoreSchema } from "../schema/model-meta.ts";
import { compileFilter, ROOT_ALIAS } from "./compile-filter.ts";
import type { FilterNode } from "./filter-nodes.ts";
import type { PlanChoice, PlanContext, SearchPlan } from "./plan.ts";
import { choosePlan } from "./plan.ts";
import type { RawRow } from "./rows.ts";
import { num, selectFields } from "./rows.ts";
import type { SearchClient } from "./run-search.ts";
import { indexVector } from "./run-search.ts";
import { SqlParams } from "./sql-builder.ts";

/** A vector search, independent of Prisma's model methods (the LlamaIndex adapter uses it too). */
export interface SimilarityRequest {
  /** Already validated (see `validateQueryVector`). */
  readonly vector: readonly number[];
  readonly filter: FilterNode;
  readonly take: number;
  readonly skip?: number;
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
 * Builds the statement: the rows passing the filter with a vector, nearest first (ties by id).
 * The exact plan orders by the distance plus zero, which no index provides, so the planner sorts
 * the filtered rows instead of walking the HNSW index; the HNSW plans order by the indexed
 * expression and re-sort in the outer query, because an iterative scan returns rows only
 * roughly in order.
 */
export function buildSimilarityQuery(
  schema: StoreSchema,
  model: ModelMeta,
  request: SimilarityRequest,
  plan: SearchPlan,
): CompiledQuery {
  const params = new SqlParams();
  const vector = params.param(vectorToSql(request.vector), "vector");
  const where = compileFilter(request.filter, { schema, model, params });
  const distance = `${qualified(ROOT_ALIAS, model.embeddingColumn)} <=> ${vector}`;
  const filtered = `${qualified(ROOT_ALIAS, model.embeddingColumn)} IS NOT NULL${where === "TRUE" ? "" : ` AND ${where}`}`;
  const inner =
    `SELECT ${selectFields(model, ROOT_ALIAS)}, (${distance}) AS "distance" ` +
    `FROM ${quoteTable(model)} AS ${quoteIdent(ROOT_ALIAS)} WHERE ${filtered}`;
  const order = `ORDER BY "distance", ${qualified("c", model.idField.name)}`;
  const skip = request.skip ?? 0;
  if (plan.kind === "exact") {
    // `+ 0` leaves the value unchanged but is no expression the HNSW index orders by, so the
    // planner sorts the filtered rows. Unlike a fenced subquery, one flat ORDER BY ... LIMIT is
    // pushed by Citus to every shard, which sends back its own top rows instead of every row
    // that passes the filter.
    return params.finish(
      `SELECT ${selectFields(model, ROOT_ALIAS)}, (${distance}) + 0 AS "distance" ` +
        `FROM ${quoteTable(model)} AS ${quoteIdent(ROOT_ALIAS)} WHERE ${filtered} ` +
        `ORDER BY "distance", ${qualified(ROOT_ALIAS, model.idField.name)} ` +
        `LIMIT ${params.param(request.take)} OFFSET ${params.param(skip)}`,
    );
  }
  const ordered = `${qualified(ROOT_ALIAS, model.embeddingColumn)} <=> ${indexVector(params, plan, vector)}`;
  return params.finish(
    `SELECT * FROM (${inner} ORDER BY ${ordered} LIMIT ${params.param(skip + request.take)}) AS "c" ` +
      `${order} OFFSET ${params.param(skip)}`,
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
  const skip = request.skip ?? 0;
  const choice = {
    choice: request.plan ?? "auto",
    limit: skip + request.take,
    efSearch: request.efSearch,
    recallTarget: request.recallTarget,
  };
  let plan = await choosePlan(client, ctx, model, request.filter, choice);
  let raw = await queryRows<RawRow>(client, buildSimilarityQuery(ctx.schema, model, request, plan));
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
  const rows = raw.map((r) => {
    const distance = num(r.distance);
    return { ...r, distance, similarity: 1 - distance };
  });
  const min = request.minSimilarity;
  return { rows: min === undefined ? rows : rows.filter((r) => r.similarity >= min), plan, fellBack };
}
