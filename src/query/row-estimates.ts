import { createHash } from "node:crypto";
import { shardRowEstimate } from "../db/citus-estimates.ts";
import { type CitusTableKind, CitusTables } from "../db/citus-tables.ts";
import type { RawClient } from "../db/execute.ts";
import { queryRows } from "../db/execute.ts";
import type { ModelMeta, StoreSchema } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { qualified, quoteIdent, quoteTable } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { compileFilter, ROOT_ALIAS } from "./compile-filter.ts";
import type { FilterNode } from "./filter-nodes.ts";
import { HNSW_VISIT_COST } from "./plan.ts";

/** How long a row estimate is reused. Planner statistics change on ANALYZE, not per query. */
export const ESTIMATE_TTL_MS = 10_000;
/** Entries remembered; keys are hashes, so this also bounds the bytes (about 100 per entry). */
const MAX_ENTRIES = 512;
/**
 * Up to this many rows, the planner's estimate is replaced by an exact count (a `LIMIT`ed
 * count reads at most this many rows). Above it the estimate is used, at least this many.
 */
export const EXACT_COUNT_LIMIT = 20_000;

/**
 * Row counts for search filters, remembered for a few seconds so a search does not pay the
 * round trips every time it runs the same filter (issue #5's overhead). The planner's estimate
 * comes from statistics that only ANALYZE refreshes: after many deletes it can be far above
 * the live rows (issue #17: 17,510 estimated for 490, which put a small table on a HNSW graph
 * full of dead entries and lost exact results). So an estimate that could lead to an HNSW plan
 * is checked by an exact count of up to {@link EXACT_COUNT_LIMIT} rows: the choice between an
 * exact scan and HNSW is made on real rows, never on stale statistics.
 */
export class RowEstimates {
  readonly #entries = new Map<string, { rows: number; at: number }>();
  readonly #ttlMs: number;
  readonly #citus = new CitusTables();

  constructor(ttlMs = ESTIMATE_TTL_MS) {
    this.#ttlMs = ttlMs;
  }

  /** How Citus places `model`'s table ("local" without Citus), read once per table. */
  placement(client: RawClient, model: ModelMeta): Promise<CitusTableKind> {
    return this.#citus.kind(client, quoteTable(model));
  }

  /** The HNSW graphs a search on `model` walks: the shards of a distributed table, else 1. */
  graphs(client: RawClient, model: ModelMeta): Promise<number> {
    return this.#citus.shards(client, quoteTable(model));
  }

  /** Rows of `model` with a vector that pass `filter`, as the planner estimates them. */
  async rows(client: RawClient, schema: StoreSchema, model: ModelMeta, filter: FilterNode): Promise<number> {
    const query = estimateQuery(schema, model, filter);
    const key = cacheKey(query);
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit && now - hit.at < this.#ttlMs) return hit.rows;
    // On Citus the coordinator's estimate is a generic 100,000 rows: ask the shards.
    const relation = quoteTable(model);
    const sharded = (await this.placement(client, model)) !== "local";
    const estimate =
      (sharded ? await shardRowEstimate(client, relation, query) : undefined) ?? (await estimateRows(client, query));
    const rows =
      estimate <= HNSW_VISIT_COST ? estimate : await boundedCount(client, countQuery(schema, model, filter), estimate);
    this.#entries.delete(key);
    this.#entries.set(key, { rows, at: now });
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    return rows;
  }
}

/** `SELECT 1 FROM table WHERE embedding IS NOT NULL AND <filter>`, behind `prefix`. */
function rowsQuery(schema: StoreSchema, model: ModelMeta, filter: FilterNode, wrap: (select: string) => string) {
  const params = new SqlParams();
  const where = compileFilter(filter, { schema, model, params });
  return params.finish(
    wrap(
      `SELECT 1 FROM ${quoteTable(model)} AS ${quoteIdent(ROOT_ALIAS)} ` +
        `WHERE ${qualified(ROOT_ALIAS, model.embeddingColumn)} IS NOT NULL AND ${where}`,
    ),
  );
}

const estimateQuery = (schema: StoreSchema, model: ModelMeta, filter: FilterNode): CompiledQuery =>
  rowsQuery(schema, model, filter, (select) => `EXPLAIN (FORMAT JSON) ${select}`);

const countQuery = (schema: StoreSchema, model: ModelMeta, filter: FilterNode): CompiledQuery =>
  rowsQuery(
    schema,
    model,
    filter,
    (select) => `SELECT count(*)::int AS n FROM (${select} LIMIT ${EXACT_COUNT_LIMIT}) AS c`,
  );

/** The exact count when it is under the limit; otherwise the estimate, at least the limit. */
async function boundedCount(client: RawClient, query: CompiledQuery, estimate: number): Promise<number> {
  const rows = await queryRows<{ n: number }>(client, query);
  const n = Number(rows[0]?.n ?? 0);
  return n < EXACT_COUNT_LIMIT ? n : Math.max(estimate, EXACT_COUNT_LIMIT);
}

// A hash, not the text: keys would otherwise hold whole filters and their values (issue #17
// measured +427 MB). Parameters are user values (bigints, dates, decimals).
const cacheKey = (query: CompiledQuery): string =>
  createHash("sha256")
    .update(query.sql)
    .update("\u0000")
    .update(JSON.stringify(query.params, (_, v) => (typeof v === "bigint" ? `${v}n` : v)))
    .digest("base64");

async function estimateRows(client: RawClient, query: CompiledQuery): Promise<number> {
  const rows = await queryRows<Record<string, unknown>>(client, query);
  const plan = rows[0]?.["QUERY PLAN"];
  const parsed = typeof plan === "string" ? JSON.parse(plan) : plan;
  const estimate = (parsed as { Plan?: { "Plan Rows"?: unknown } }[] | undefined)?.[0]?.Plan?.["Plan Rows"];
  return typeof estimate === "number" ? estimate : Number.POSITIVE_INFINITY;
}
