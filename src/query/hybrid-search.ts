import { queryRows } from "../db/execute.ts";
import { fullTextColumn, type ModelMeta, type StoreSchema } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { qualified, quoteIdent, quoteTable } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { vectorParam } from "../sql/vector-binary.ts";
import { compileFilter, ROOT_ALIAS } from "./compile-filter.ts";
import type { FilterNode } from "./filter-nodes.ts";
import type { PlanChoice, PlanContext, SearchPlan } from "./plan.ts";
import { choosePlan } from "./plan.ts";
import type { RawRow } from "./rows.ts";
import { num, numOrNull, selectFields } from "./rows.ts";
import type { SearchClient, SettingsAt } from "./run-search.ts";
import { indexVector, queryPlanned, settingsAt } from "./run-search.ts";
import type { Fusion } from "./search-args.ts";
import { tsQuery } from "./text-search.ts";
import { indexOrder, VECTOR_INDEX } from "./vector-index.ts";

export interface HybridRequest {
  /** Full-text query (web-search syntax). */
  readonly text: string;
  /** Already validated vector of the query. */
  readonly vector: readonly number[];
  readonly filter: FilterNode;
  readonly take: number;
  readonly skip?: number;
  /** Rows taken from each ranked list before fusing. Default {@link DEFAULT_CANDIDATES}. */
  readonly candidates?: number | undefined;
  /** Default `{ type: "rrf", k: 60 }`. */
  readonly fusion?: Fusion;
  readonly plan?: PlanChoice;
  readonly efSearch?: number | undefined;
  readonly recallTarget?: number | undefined;
}

/** Where a hybrid result stood in each list, its raw scores, and the fused score (higher first). */
export interface HybridScores {
  /** 1-based rank in the vector list; null when not among its candidates. */
  vectorRank: number | null;
  /** 1-based rank in the full-text list; null when not among its candidates. */
  textRank: number | null;
  /** Cosine distance to the query vector; null when the row has no vector. */
  distance: number | null;
  /** `1 - distance`; null when the row has no vector. */
  similarity: number | null;
  /** `ts_rank_cd`; null when the row does not match the text query. */
  textScore: number | null;
  /** The fused score the rows are ordered by: RRF, the sum of `1 / (k + rank)` over the lists; weighted, `alpha * similarity + (1 - alpha) * normalized text rank`. */
  score: number;
}

export interface HybridResult {
  readonly rows: (RawRow & HybridScores)[];
  readonly plan: SearchPlan;
}

/** Rows taken from each list when the caller names no `candidates`. */
export const DEFAULT_CANDIDATES = 60;

/**
 * Rows taken from each list: the caller's `candidates`, else {@link DEFAULT_CANDIDATES}. Never
 * derived from `skip`/`take`: the fused list is the same for every page of one query only if its
 * two input lists are, so pages slice one list of between `candidates` and 2 x `candidates` rows
 * and a page past its end comes back short.
 */
export const candidatesFor = (r: Pick<HybridRequest, "candidates">): number => r.candidates ?? DEFAULT_CANDIDATES;

/**
 * One statement: the top candidates by vector and by text (each under the same filter), a full
 * outer join of the two lists, and the fused score. RRF: sum of 1 / (k + rank). Weighted:
 * alpha * similarity + (1 - alpha) * ts_rank_cd / (best ts_rank_cd among the text candidates).
 */
export function buildHybridQuery(
  schema: StoreSchema,
  model: ModelMeta,
  r: HybridRequest,
  plan: SearchPlan,
  settings: SettingsAt = "statement",
): CompiledQuery {
  const params = new SqlParams();
  const vector = vectorParam(params, r.vector);
  const query = tsQuery(params, r.text);
  const filter = compileFilter(r.filter, { schema, model, params });
  const n = params.param(candidatesFor(r));
  const table = `${quoteTable(model)} AS ${quoteIdent(ROOT_ALIAS)}`;
  const id = quoteIdent(model.idField.name);
  const tid = qualified(ROOT_ALIAS, model.idField.column);
  const emb = qualified(ROOT_ALIAS, model.embeddingColumn);
  const sv = qualified(ROOT_ALIAS, fullTextColumn(model));
  const and = filter === "TRUE" ? "" : ` AND ${filter}`;

  const vectorRows = (suffix: string) =>
    `SELECT ${tid} AS ${id}, (${emb} <=> ${vector})${suffix} AS "distance" FROM ${table} WHERE ${emb} IS NOT NULL${and}`;
  // The exact list orders by the distance plus zero, which no index provides (as the similarity
  // search's exact plan): one flat ORDER BY ... LIMIT, which Citus pushes to every shard.
  const vectorList =
    plan.kind === "exact"
      ? `${vectorRows(" + 0")} ORDER BY "distance", ${tid} LIMIT ${n}`
      : `${vectorRows("")} ORDER BY ${indexOrder(plan.index ?? VECTOR_INDEX, ROOT_ALIAS, model.embeddingColumn, indexVector(params, plan, vector, settings))} LIMIT ${n}`;
  const textList =
    `SELECT ${tid} AS ${id}, ts_rank_cd(${sv}, "q"."query") AS "score" FROM ${table}, "q" ` +
    `WHERE ${sv} @@ "q"."query"${and} ORDER BY "score" DESC, ${tid} LIMIT ${n}`;
  // A row of either list carries its distance or text score from there; only a row missing from
  // that list has it computed again (a 384-d distance and a ts_rank_cd per row add up).
  const distanceIn = (a: string) => `coalesce("${a}"."distance", ${emb} <=> ${vector})`;
  const textScoreIn = (a: string) =>
    `coalesce("${a}"."textScore", CASE WHEN ${sv} @@ "q"."query" THEN ts_rank_cd(${sv}, "q"."query") END)`;
  const lists =
    `WITH "q" AS (SELECT ${query} AS "query"), ` +
    `"v" AS (SELECT ${id}, "distance", (row_number() OVER (ORDER BY "distance", ${id}))::int AS "rank" FROM (${vectorList}) AS "c"), ` +
    `"x" AS (SELECT ${id}, "score", (row_number() OVER (ORDER BY "score" DESC, ${id}))::int AS "rank" FROM (${textList}) AS "c"), ` +
    `"f" AS (SELECT coalesce("v".${id}, "x".${id}) AS ${id}, "v"."rank" AS "vectorRank", "x"."rank" AS "textRank", ` +
    `"v"."distance", "x"."score" AS "textScore" ` +
    `FROM "v" FULL OUTER JOIN "x" ON "x".${id} = "v".${id})`;
  const row = (a: string, score: string) =>
    `SELECT ${selectFields(model, ROOT_ALIAS)}, "${a}"."vectorRank", "${a}"."textRank", ${distanceIn(a)} AS "distance", ` +
    `${textScoreIn(a)} AS "textScore", ${score} AS "score", (SELECT count(*) FROM "v")::int AS "vectorCandidates" ` +
    `FROM "${a}" JOIN ${table} ON ${tid} = "${a}".${id} CROSS JOIN "q"`;
  // Best score first, ties by id (`tie`: the id column in scope); bound after the fusion's parameter.
  const page = (tie: string) =>
    `ORDER BY "score" DESC, ${tie} LIMIT ${params.param(r.take)} OFFSET ${params.param(r.skip ?? 0)}`;
  const fusion = r.fusion ?? { type: "rrf", k: 60 };
  if (fusion.type === "rrf") {
    // Ranks alone make the score, so the page is cut first: the values missing from a list are
    // then computed for the page's rows only, not for every row of the two lists.
    const k = params.param(fusion.k, "float8");
    const fused = `coalesce(1.0 / (${k} + "f"."vectorRank"), 0) + coalesce(1.0 / (${k} + "f"."textRank"), 0)`;
    const cut = `"p" AS (SELECT "f".*, (${fused}) AS "score" FROM "f" ${page(`"f".${id}`)})`;
    return params.finish(`${lists}, ${cut} ${row("p", `"p"."score"`)} ORDER BY "score" DESC, ${tid}`);
  }
  // Weighted: the score reads the distance and text score of every row of the two lists.
  const a = params.param(fusion.alpha, "float8");
  const fused =
    `${a} * coalesce(1 - ${distanceIn("f")}, 0) + ` +
    `(1 - ${a}) * coalesce(${textScoreIn("f")} / nullif((SELECT max("score") FROM "x"), 0), 0)`;
  return params.finish(`${lists} ${row("f", `(${fused})`)} ${page(tid)}`);
}

/**
 * Vector and full-text search ranked together in one statement (see {@link buildHybridQuery}).
 * The vector list uses the same plan choice as `runSimilaritySearch`, with the same fallback to
 * an exact scan when an HNSW plan comes back short.
 */
export async function runHybridSearch(
  client: SearchClient,
  ctx: PlanContext,
  model: ModelMeta,
  r: HybridRequest,
): Promise<HybridResult> {
  const n = candidatesFor(r);
  const request = { choice: r.plan ?? "auto", limit: n, efSearch: r.efSearch, recallTarget: r.recallTarget };
  let plan = await choosePlan(client, ctx, model, r.filter, request);
  const settings = await settingsAt(client, ctx, model);
  let raw = await queryPlanned<RawRow>(
    client,
    buildHybridQuery(ctx.schema, model, r, plan, settings),
    plan,
    settings,
    false,
  );
  if (plan.kind !== "exact" && (await vectorCandidates(client, ctx, model, r, plan, settings, raw)) < n) {
    plan = {
      ...plan,
      kind: "exact",
      efSearch: null,
      reason: `${plan.reason}; the vector list had fewer than ${n} rows, so an exact scan ran`,
    };
    raw = await queryRows<RawRow>(client, buildHybridQuery(ctx.schema, model, r, plan));
  }
  // The driver's rows are this call's own: scored in place rather than copied. vectorCandidates
  // is the last column, and deleting an object's last property keeps its fast shape.
  for (const row of raw) {
    delete row.vectorCandidates;
    const distance = numOrNull(row.distance);
    row.vectorRank = numOrNull(row.vectorRank);
    row.textRank = numOrNull(row.textRank);
    row.distance = distance;
    row.similarity = distance === null ? null : 1 - distance;
    row.textScore = numOrNull(row.textScore);
    row.score = num(row.score);
  }
  const rows = raw as (RawRow & HybridScores)[];
  return { rows, plan };
}

/**
 * Rows the HNSW vector list found. A page past the end of the fused list has no row to carry the
 * count, so the first row is read for it: falling back on an empty page alone would page on
 * through the exact plan's fused list, which may be longer than the one the earlier pages sliced.
 */
async function vectorCandidates(
  client: SearchClient,
  ctx: PlanContext,
  model: ModelMeta,
  r: HybridRequest,
  plan: SearchPlan,
  settings: SettingsAt,
  raw: RawRow[],
): Promise<number> {
  if (raw.length === 0 && (r.skip ?? 0) > 0) {
    const first = buildHybridQuery(ctx.schema, model, { ...r, skip: 0, take: 1 }, plan, settings);
    raw = await queryPlanned<RawRow>(client, first, plan, settings, false);
  }
  return raw.length === 0 ? 0 : num(raw[0]!.vectorCandidates);
}
