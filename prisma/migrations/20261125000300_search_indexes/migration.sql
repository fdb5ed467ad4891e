-- Indexes Prisma's schema language cannot express. `prisma migrate diff` proposes DROP INDEX
-- for every one of them: never apply such a diff as is (see docs/migrations.md, and
-- scripts/check-migrations.ts fails the build when a migration drops one).

-- Full-text: a generated tsvector kept by Postgres itself, searched with websearch_to_tsquery.
ALTER TABLE "Document" ADD COLUMN "searchVector" tsvector
  GENERATED ALWAYS AS (to_tsvector('english', coalesce("title", '') || ' ' || "content")) STORED;
ALTER TABLE "Annotation" ADD COLUMN "searchVector" tsvector
  GENERATED ALWAYS AS (to_tsvector('english', "rawText")) STORED;
CREATE INDEX "Document_searchVector_idx" ON "Document" USING gin ("searchVector");
CREATE INDEX "Annotation_searchVector_idx" ON "Annotation" USING gin ("searchVector");

-- Approximate nearest neighbours by cosine distance (the <=> operator).
CREATE INDEX "Document_embedding_hnsw_idx" ON "Document" USING hnsw ("embedding" vector_cosine_ops);
CREATE INDEX "Annotation_embedding_hnsw_idx" ON "Annotation" USING hnsw ("embedding" vector_cosine_ops);

-- JSON metadata filters (`metadata: { path, equals }` compiles to @> containment where it can).
CREATE INDEX "Document_metadata_idx" ON "Document" USING gin ("metadata" jsonb_path_ops);
CREATE INDEX "Annotation_metadata_idx" ON "Annotation" USING gin ("metadata" jsonb_path_ops);
