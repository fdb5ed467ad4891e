import type { CompiledQuery, RawClient } from "../db/execute.ts";
import { queryRows } from "../db/execute.ts";
import { qualified, quoteIdent, quoteTable } from "../db/sql.ts";
import type { ModelMeta, StoreSchema } from "../schema/model-meta.ts";
import { compileFilter, ROOT_ALIAS } from "./compile-filter.ts";
import type { FilterNode } from "./filter-nodes.ts";
import { SqlParams } from "./sql-builder.ts";

/** How long a row estimate is reused. Planner statistics change on ANALYZE, not per query. */
export const ESTIMATE_TTL_MS = 10_000;
const MAX_ENTRIES = 512;

/**
 * The planner's row estimates for search filters, remembered for a few seconds so a search does
 * not pay an `EXPLAIN` round trip every time it runs the same filter (issue #5's overhead).
 * A stale estimate can only make a search slower, never wrong: every plan returns exact rows or
 * falls back to an exact scan when it comes back short.
 */
export class RowEstimates {
  readonly #entries = new Map<string, { rows: number; at: number }>();
  readonly #ttlMs: number;

  constructor(ttlMs = ESTIMATE_TTL_MS) {
    this.#ttlMs = ttlMs;
  }

  /** Rows of `model` with a vector that pass `filter`, as the planner estimates them. */
  async rows(client: RawClient, schema: StoreSchema, model: ModelMeta, filter: FilterNode): Promise<number> {
    const query = estimateQuery(schema, model, filter);
    const key = cacheKey(query);
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit && now - hit.at < this.#ttlMs) return hit.rows;
    const rows = await estimateRows(client, query);
    this.#entries.delete(key);
    this.#entries.set(key, { rows, at: now });
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    return rows;
  }
}

function estimateQuery(schema: StoreSchema, model: ModelMeta, filter: FilterNode): CompiledQuery {
  const params = new SqlParams();
  const where = compileFilter(filter, { schema, model, params });
  return params.finish(
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${quoteTable(model)} AS ${quoteIdent(ROOT_ALIAS)} ` +
      `WHERE ${qualified(ROOT_ALIAS, model.embeddingColumn)} IS NOT NULL AND ${where}`,
  );
}

// Parameters are user values (bigints, dates, decimals); a key collision could only cost speed.
const cacheKey = (query: CompiledQuery): string =>
  `${query.sql}\u0000${JSON.stringify(query.params, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`;

async function estimateRows(client: RawClient, query: CompiledQuery): Promise<number> {
  const rows = await queryRows<Record<string, unknown>>(client, query);
  const plan = rows[0]?.["QUERY PLAN"];
  const parsed = typeof plan === "string" ? JSON.parse(plan) : plan;
  const estimate = (parsed as { Plan?: { "Plan Rows"?: unknown } }[] | undefined)?.[0]?.Plan?.["Plan Rows"];
  return typeof estimate === "number" ? estimate : Number.POSITIVE_INFINITY;
}
