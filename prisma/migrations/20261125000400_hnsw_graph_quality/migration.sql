-- Rebuild both HNSW indexes with a better-connected graph (ef_construction 128 instead of
-- pgvector's default 64, m stays 16). On clustered, embedding-like data (bench/data.ts, 100k
-- rows) the default graph capped recall@10 at 0.98 under a 10% filter and 0.99 unfiltered,
-- whatever hnsw.ef_search was. This one reaches 0.999 / 1.0 at ef_search 150 (docs/search.md).
-- The price is a slower build (about 2-3x) and slower indexed inserts, paid once per row.
-- On a large table this rebuild blocks writes while it runs: see docs/migrations.md.
DROP INDEX "Document_embedding_hnsw_idx";
CREATE INDEX "Document_embedding_hnsw_idx" ON "Document" USING hnsw ("embedding" vector_cosine_ops)
  WITH (m = 16, ef_construction = 128);
DROP INDEX "Annotation_embedding_hnsw_idx";
CREATE INDEX "Annotation_embedding_hnsw_idx" ON "Annotation" USING hnsw ("embedding" vector_cosine_ops)
  WITH (m = 16, ef_construction = 128);
