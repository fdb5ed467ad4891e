import { queryRows } from "../db/execute.ts";
import { fullTextColumn, type ModelMeta, type StoreSchema } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { qualified, quoteIdent, quoteTable } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { compileFilter, ROOT_ALIAS } from "./compile-filter.ts";
import type { FilterNode } from "./filter-nodes.ts";
import type { RawRow } from "./rows.ts";
import { num, selectFields } from "./rows.ts";
import type { SearchClient } from "./run-search.ts";

/** The text search configuration of the generated `searchVector` columns (see the migrations). */
export const TEXT_SEARCH_CONFIG = "english";

export interface TextRequest {
  /** Web-search syntax: `"exact phrase"`, `or`, `-excluded`. */
  readonly query: string;
  readonly filter: FilterNode;
  readonly take: number;
  readonly skip?: number;
}

/** `ts_rank_cd` of the row's text for the query: higher is better. */
export interface TextScores {
  /** PostgreSQL's `ts_rank_cd` of the row for the query; higher is better. */
  rank: number;
}

/** The `tsquery` of a search text, as SQL over one bound parameter. */
export function tsQuery(params: SqlParams, text: string): string {
  return `websearch_to_tsquery('${TEXT_SEARCH_CONFIG}', ${params.param(text, "text")})`;
}

/** Rows whose `searchVector` matches the query, best `ts_rank_cd` first (ties by id). */
export function buildTextQuery(schema: StoreSchema, model: ModelMeta, request: TextRequest): CompiledQuery {
  const params = new SqlParams();
  const query = tsQuery(params, request.query);
  const where = compileFilter(request.filter, { schema, model, params });
  const sv = qualified(ROOT_ALIAS, fullTextColumn(model));
  return params.finish(
    `SELECT ${selectFields(model, ROOT_ALIAS)}, ts_rank_cd(${sv}, "q"."query") AS "rank" ` +
      `FROM ${quoteTable(model)} AS ${quoteIdent(ROOT_ALIAS)}, ${query} AS "q"("query") ` +
      `WHERE ${sv} @@ "q"."query"${where === "TRUE" ? "" : ` AND ${where}`} ` +
      `ORDER BY "rank" DESC, ${qualified(ROOT_ALIAS, model.idField.column)} ` +
      `LIMIT ${params.param(request.take)} OFFSET ${params.param(request.skip ?? 0)}`,
  );
}

/**
 * Full-text search over the model's generated `searchVector` (GIN-indexed) with
 * `websearch_to_tsquery('english', query)`, ranked by `ts_rank_cd`.
 */
export async function runTextSearch(
  client: SearchClient,
  ctx: { readonly schema: StoreSchema },
  model: ModelMeta,
  request: TextRequest,
): Promise<(RawRow & TextScores)[]> {
  const rows = await queryRows<RawRow & TextScores>(client, buildTextQuery(ctx.schema, model, request));
  for (const r of rows) r.rank = num(r.rank);
  return rows;
}
