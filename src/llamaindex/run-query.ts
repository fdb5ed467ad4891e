import type { VectorStoreQuery, VectorStoreQueryResult } from "@llamaindex/core/vector-store";
import { VectorStoreQueryMode } from "@llamaindex/core/vector-store";
import type { StoreContext } from "../context.ts";
import { queryRows } from "../db/execute.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { FilterNode } from "../query/filter-nodes.ts";
import { and, inList } from "../query/filter-nodes.ts";
import { DEFAULT_CANDIDATES, runHybridSearch } from "../query/hybrid-search.ts";
import { resolveQueryVector, validateQueryVector, validateTextQuery } from "../query/query-vector.ts";
import type { RawRow } from "../query/rows.ts";
import type { SearchClient } from "../query/run-search.ts";
import { MAX_TAKE } from "../query/search-args.ts";
import { runSimilaritySearch } from "../query/similarity-search.ts";
import { runTextSearch } from "../query/text-search.ts";
import type { HybridMetadataFilters } from "./metadata-filters.ts";
import { parseMetadataFilters } from "./metadata-filters.ts";
import { DEFAULT_MMR_THRESHOLD, mmrRerank } from "./mmr.ts";
import { rowToNode } from "./node-rows.ts";
import type { StoreModels } from "./store-models.ts";
import { selectEmbeddings } from "./store-sql.ts";

/**
 * The query modes this store runs, typed as core's `VectorStoreQueryMode` so they fit
 * `VectorStoreQuery.mode` and `index.asRetriever({ mode })`. `TEXT_SEARCH` is Python
 * LlamaIndex's name for full-text search (core 0.6 has only `SPARSE`); both run the same search.
 *
 * @example
 * ```ts
 * const retriever = index.asRetriever({ similarityTopK: 5, mode: HybridQueryMode.HYBRID });
 * ```
 */
export const HybridQueryMode = {
  DEFAULT: VectorStoreQueryMode.DEFAULT,
  SPARSE: VectorStoreQueryMode.SPARSE,
  TEXT_SEARCH: "text_search" as VectorStoreQueryMode,
  HYBRID: VectorStoreQueryMode.HYBRID,
  MMR: VectorStoreQueryMode.MMR,
} as const;

/**
 * Core's `VectorStoreQuery`, with filters that may nest groups and compare booleans.
 *
 * @example
 * ```ts
 * const q: HybridVectorStoreQuery = { queryStr: "cats", similarityTopK: 3, mode: HybridQueryMode.DEFAULT };
 * ```
 */
export interface HybridVectorStoreQuery extends Omit<VectorStoreQuery, "filters"> {
  filters?: HybridMetadataFilters | undefined;
}

/** Candidates fetched by vector before MMR picks `k` of them. */
export const mmrCandidates = (k: number): number => Math.min(MAX_TAKE, Math.max(20, 4 * k));

type Scored = { row: RawRow; score: number };

/** Runs one LlamaIndex query through the library's search runners (same plans, same filters). */
export async function runQuery(
  client: SearchClient,
  ctx: StoreContext,
  models: StoreModels,
  scope: FilterNode,
  query: HybridVectorStoreQuery,
): Promise<VectorStoreQueryResult> {
  if (typeof query !== "object" || query === null) throw invalid("query", "expected a VectorStoreQuery object");
  const take = topK(query.similarityTopK);
  const filter = and(scope, docIdsFilter(models, query.docIds), parseMetadataFilters(query.filters, models.nodes));
  const model = models.nodes.model;
  const mode = query.mode ?? VectorStoreQueryMode.DEFAULT;
  let scored: Scored[];
  switch (mode) {
    case HybridQueryMode.DEFAULT: {
      const vector = await queryVector(ctx, query);
      const { rows } = await runSimilaritySearch(client, ctx, model, { vector, filter, take });
      scored = rows.map((row) => ({ row, score: row.similarity }));
      break;
    }
    case HybridQueryMode.SPARSE:
    case HybridQueryMode.TEXT_SEARCH: {
      const text = queryText(query);
      const rows = await runTextSearch(client, ctx, model, { query: text, filter, take });
      scored = rows.map((row) => ({ row, score: row.rank }));
      break;
    }
    case HybridQueryMode.HYBRID:
      scored = await hybrid(client, ctx, models, query, filter, take);
      break;
    case HybridQueryMode.MMR:
      scored = await mmr(client, ctx, models, query, filter, take);
      break;
    default:
      throw invalid(
        "mode",
        `unsupported mode ${JSON.stringify(mode)} (supported: ${Object.values(HybridQueryMode).join(", ")})`,
      );
  }
  const id = model.idField.name;
  return {
    nodes: scored.map(({ row }) => rowToNode(row, models.nodes)),
    similarities: scored.map(({ score }) => score),
    ids: scored.map(({ row }) => String(row[id])),
  };
}

/**
 * Weighted fusion when `alpha` is given (alpha · similarity + (1 − alpha) · text rank / best text
 * rank; 1 = vector only, 0 = text only), reciprocal rank fusion (k = 60) when it is not.
 */
async function hybrid(
  client: SearchClient,
  ctx: StoreContext,
  models: StoreModels,
  query: HybridVectorStoreQuery,
  filter: FilterNode,
  take: number,
) {
  const text = queryText(query);
  const alpha = unitInterval(query.alpha, "alpha");
  const vector = await queryVector(ctx, query);
  const fusion = alpha === undefined ? ({ type: "rrf", k: 60 } as const) : ({ type: "weighted", alpha } as const);
  // No paging here, so the candidate lists may grow with the rows asked for.
  const candidates = Math.min(MAX_TAKE, Math.max(DEFAULT_CANDIDATES, 2 * take));
  const { rows } = await runHybridSearch(client, ctx, models.nodes.model, {
    text,
    vector,
    filter,
    take,
    fusion,
    candidates,
  });
  // With alpha 0 the vector list has no weight: rows that only it found would pad the end with score 0.
  const kept = alpha === 0 ? rows.filter((r) => r.textRank !== null) : rows;
  return kept.map((row) => ({ row, score: row.score }));
}

/** Candidates by vector (same plan and filter as DEFAULT), re-ranked by MMR with their stored vectors. */
async function mmr(
  client: SearchClient,
  ctx: StoreContext,
  models: StoreModels,
  query: HybridVectorStoreQuery,
  filter: FilterNode,
  take: number,
) {
  const lambda = unitInterval(query.mmrThreshold, "mmrThreshold") ?? DEFAULT_MMR_THRESHOLD;
  const vector = await queryVector(ctx, query);
  const model = models.nodes.model;
  const id = (r: RawRow) => String(r[model.idField.name]);
  const { rows } = await runSimilaritySearch(client, ctx, model, {
    vector,
    filter,
    take: mmrCandidates(take),
  });
  if (rows.length === 0) return [];
  const stored = await queryRows<{ id: string; embedding: string }>(client, selectEmbeddings(models, rows.map(id)));
  const vectors = new Map(stored.map((s) => [s.id, JSON.parse(s.embedding) as number[]]));
  const candidates = rows.filter((r) => vectors.has(id(r)));
  const picks = mmrRerank(
    candidates.map((r) => ({ similarity: r.similarity, embedding: vectors.get(id(r))! })),
    take,
    lambda,
  );
  return picks.map((p) => ({ row: candidates[p.index]!, score: p.score }));
}

function topK(value: unknown): number {
  if (value === undefined) return 2; // LlamaIndex's DEFAULT_SIMILARITY_TOP_K
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_TAKE) return value;
  throw invalid("similarityTopK", `expected an integer from 1 to ${MAX_TAKE}, received ${String(value)}`);
}

/** `docIds` restricts to those ref docs; an empty list matches nothing (an empty allow-list allows nothing). */
function docIdsFilter(models: StoreModels, docIds: unknown): FilterNode {
  if (docIds === undefined || docIds === null) return and();
  if (!Array.isArray(docIds) || !docIds.every((id) => typeof id === "string")) {
    throw invalid("docIds", "expected an array of ref doc ids (strings)");
  }
  return inList(models.nodes.refDocKey, docIds as string[]);
}

function queryText(query: HybridVectorStoreQuery): string {
  if (typeof query.queryStr !== "string")
    throw invalid("queryStr", `mode "${query.mode}" needs queryStr (the text to search for)`);
  return validateTextQuery(query.queryStr, "queryStr");
}

/** `queryEmbedding` when given, else `queryStr` embedded with the store's embedder. */
async function queryVector(ctx: StoreContext, query: HybridVectorStoreQuery): Promise<number[]> {
  if (query.queryEmbedding !== undefined && query.queryEmbedding !== null) {
    return validateQueryVector(ctx, query.queryEmbedding, "queryEmbedding");
  }
  if (typeof query.queryStr === "string") return resolveQueryVector(ctx, query.queryStr, "queryStr");
  throw invalid("queryEmbedding", "a vector query needs queryEmbedding or queryStr");
}

function unitInterval(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && value >= 0 && value <= 1) return value;
  throw invalid(name, `expected a number from 0 to 1, received ${String(value)}`);
}

function invalid(name: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`Invalid query: ${message} at ${name}`, [{ path: [name], message }]);
}
