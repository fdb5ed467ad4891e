/**
 * Hand-written SQL for the search and plans suites: what a careful user would write with
 * `$queryRawUnsafe` for each plan (the same statements the library sends, typed by hand).
 * Filters here are trusted constants of the benchmark, never user input.
 */

/** The columns of a search row: every Annotation field but the write-only payload. */
const COLUMNS = `t.id, t."documentId", t."rawText", t.label, t.page, t.position, t.metadata, t."embeddingModel", t."contentHash", t."createdAt", t."updatedAt"`;

/** A filter as SQL over alias `t` with its parameters numbered from `first`. */
export interface SqlFilter {
  readonly sql: (first: number) => string;
  readonly values: readonly unknown[];
}

export const NO_FILTER: SqlFilter = { sql: () => "TRUE", values: [] };
export const pageBelow = (n: number): SqlFilter => ({ sql: (p) => `t.page < $${p}`, values: [n] });
export const labelIs = (label: string): SqlFilter => ({ sql: (p) => `t.label = $${p}`, values: [label] });

export interface Statement {
  readonly sql: string;
  readonly values: unknown[];
  /** Transaction-local settings to run first, in one batch transaction with the statement (see {@link SettingsMode}). */
  readonly settings?: string;
}

export type VectorPlan = "exact" | "hnsw" | "hnsw-iterative";

/** The query vector's parameter: pgvector's text form, or its binary form (what the library sends, src/sql/vector-binary.ts). */
export type QueryVectorParam = string | Uint8Array;

/**
 * How a hand-written HNSW statement carries its pgvector settings: `inline` as the library does
 * (in the index's order-by argument, one statement, see src/query/run-search.ts), `transaction`
 * as the library did before (`set_config(..., true)` and the query in one batch transaction),
 * `forced` = `transaction` plus the library's planner settings (`enable_sort`, `enable_seqscan`
 * and `jit` off), which must be set before the statement is planned (so the planner walks the
 * HNSW index even where it would sort).
 */
export type SettingsMode = "inline" | "transaction" | "forced";

/** The library scans every HNSW plan iteratively (one stream for all pages, src/query/run-search.ts). */
const iterativeOf = (_plan: VectorPlan) => "relaxed_order";

/** pgvector settings of a plan, as `SELECT set_config(...)` with `is_local = true`. */
export function settingsFor(plan: VectorPlan, efSearch = 40, forceIndex = false): string | undefined {
  if (plan === "exact") return undefined;
  // As the library's FORCE_INDEX_SETTINGS (src/query/run-search.ts): without `jit` off, the cost
  // that disabling sorts adds makes the server JIT-compile the statement (about 190 ms a query).
  const force = forceIndex
    ? ", set_config('enable_sort', 'off', true), set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)"
    : "";
  return `SELECT set_config('hnsw.ef_search', '${efSearch}', true), set_config('hnsw.iterative_scan', '${iterativeOf(plan)}', true)${force}`;
}

/** The query vector `$1` as the index's order-by argument, with the settings inline. */
function inlineVector(plan: VectorPlan, efSearch: number): string {
  return (
    `(SELECT CASE WHEN (set_config('hnsw.ef_search', '${efSearch}', true) || ` +
    `set_config('hnsw.iterative_scan', '${iterativeOf(plan)}', true)) IS NOT NULL THEN $1::vector END)`
  );
}

/** Top-k by cosine distance under `plan`: exact scan of the filtered rows, or the HNSW index. */
export function vectorSearch(
  vector: QueryVectorParam,
  filter: SqlFilter,
  k: number,
  plan: VectorPlan,
  efSearch = 40,
  mode: SettingsMode = "inline",
): Statement {
  const where = `t.embedding IS NOT NULL AND ${filter.sql(2)}`;
  const dist = `(t.embedding <=> $1::vector)`;
  const lim = `$${2 + filter.values.length}`;
  const inner = `SELECT ${COLUMNS}, ${dist} AS distance FROM "Annotation" AS t WHERE ${where}`;
  const order = mode === "inline" ? inlineVector(plan, efSearch) : "$1::vector";
  // HNSW: the index's stream up to the end of the page's last block of 10 rows, each block sorted
  // by distance then id (src/query/similarity-search.ts).
  const numbered =
    `SELECT n.*, CASE WHEN n.distance = lag(n.distance) OVER () THEN 0 ELSE row_number() OVER () END AS start ` +
    `FROM (${inner} ORDER BY t.embedding <=> ${order} FETCH FIRST (${Math.ceil(k / 10) * 10}) ROWS WITH TIES) AS n`;
  const sql =
    plan === "exact"
      ? `SELECT * FROM (${inner} OFFSET 0) AS c ORDER BY distance, id LIMIT ${lim}`
      : `SELECT c.id, c."documentId", c."rawText", c.label, c.page, c.position, c.metadata, c."embeddingModel", c."contentHash", c."createdAt", c."updatedAt", c.distance ` +
        `FROM (SELECT s.*, (max(s.start) OVER (ROWS UNBOUNDED PRECEDING) - 1) / 10 AS block FROM (${numbered}) AS s) AS c ORDER BY c.block, c.distance, c.id LIMIT ${lim}`;
  const settings = mode === "inline" ? undefined : settingsFor(plan, efSearch, mode === "forced");
  return { sql, values: [vector, ...filter.values, k], ...(settings ? { settings } : {}) };
}

/** Full-text top-k by ts_rank_cd over the generated tsvector. */
export function textSearch(text: string, filter: SqlFilter, k: number): Statement {
  const sql =
    `SELECT ${COLUMNS}, ts_rank_cd(t."searchVector", q.query) AS rank ` +
    `FROM "Annotation" AS t, websearch_to_tsquery('english', $1::text) AS q(query) ` +
    `WHERE t."searchVector" @@ q.query AND ${filter.sql(2)} ` +
    `ORDER BY rank DESC, t.id LIMIT $${2 + filter.values.length}`;
  return { sql, values: [text, ...filter.values, k] };
}

/**
 * Reciprocal rank fusion (k = 60) of `candidates` vector and `candidates` text results, with the
 * columns the library returns (both ranks, the distance and the text score, each computed for a
 * page row that one list lacks): the page is cut from the fused ranks first.
 */
export function hybridSearch(
  vector: QueryVectorParam,
  text: string,
  filter: SqlFilter,
  k: number,
  plan: VectorPlan,
  efSearch = 40,
  candidates = 60,
): Statement {
  const f = filter.sql(3);
  const n = `$${3 + filter.values.length}`;
  const lim = `$${4 + filter.values.length}`;
  const vectorRows = `SELECT t.id, (t.embedding <=> $1::vector) AS distance FROM "Annotation" AS t WHERE t.embedding IS NOT NULL AND ${f}`;
  const vectorList =
    plan === "exact"
      ? `SELECT * FROM (${vectorRows} OFFSET 0) AS e ORDER BY distance, id LIMIT ${n}`
      : `${vectorRows} ORDER BY t.embedding <=> ${inlineVector(plan, efSearch)} LIMIT ${n}`;
  const textList =
    `SELECT t.id, ts_rank_cd(t."searchVector", q.query) AS score FROM "Annotation" AS t, q ` +
    `WHERE t."searchVector" @@ q.query AND ${f} ORDER BY score DESC, t.id LIMIT ${n}`;
  const sql =
    `WITH q AS (SELECT websearch_to_tsquery('english', $2::text) AS query), ` +
    `v AS (SELECT id, distance, row_number() OVER (ORDER BY distance, id) AS rank FROM (${vectorList}) AS c), ` +
    `x AS (SELECT id, score, row_number() OVER (ORDER BY score DESC, id) AS rank FROM (${textList}) AS c), ` +
    `p AS (SELECT coalesce(v.id, x.id) AS id, v.rank AS vr, x.rank AS xr, v.distance, x.score AS ts, ` +
    `coalesce(1.0 / (60 + v.rank), 0) + coalesce(1.0 / (60 + x.rank), 0) AS score ` +
    `FROM v FULL OUTER JOIN x ON x.id = v.id ORDER BY score DESC, id LIMIT ${lim}) ` +
    `SELECT ${COLUMNS}, p.vr, p.xr, coalesce(p.distance, t.embedding <=> $1::vector) AS distance, ` +
    `coalesce(p.ts, CASE WHEN t."searchVector" @@ q.query THEN ts_rank_cd(t."searchVector", q.query) END) AS "textScore", p.score ` +
    `FROM p JOIN "Annotation" AS t ON t.id = p.id CROSS JOIN q ORDER BY p.score DESC, t.id`;
  return { sql, values: [vector, text, ...filter.values, candidates, k] };
}
