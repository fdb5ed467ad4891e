/**
 * `hnsw.ef_search` when the caller gives none, chosen for the recall targets on clustered,
 * embedding-like data (100k rows, the migrations' HNSW graph; sweep in docs/search.md):
 * unfiltered, 100 reaches recall@10 0.99 (target 0.95); under a filter an iterative scan needs
 * 150 for 0.999 (target 0.99; 100 gave 0.988). pgvector's own default, 40, gave 0.90 with the
 * default graph.
 *
 * In the database layer because two layers apply it: the plan (src/query/plan.ts) per search, and
 * `distribute` as the database default that Citus shards search with.
 */
export const DEFAULT_EF_SEARCH = { unfiltered: 100, filtered: 150 } as const;
