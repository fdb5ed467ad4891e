/**
 * `prisma-hybrid-store`: the `hybridStore()` Prisma client extension (embedding on save and the
 * `similaritySearch`, `textSearch` and `hybridSearch` model methods), the embedders, the
 * embedded database, the ingest API and the errors. The LlamaIndex adapter is
 * `prisma-hybrid-store/llamaindex`; the CLI's building blocks (markings, migration SQL, Citus)
 * are `prisma-hybrid-store/tooling`.
 *
 * @packageDocumentation
 * @module prisma-hybrid-store
 */
export { checkDatabase, type DatabaseReport, MigrationFailedError, MigrationsPendingError } from "./db/check.ts";
export {
  DEFAULT_DATA_DIR,
  type EmbeddedDatabase,
  type EmbeddedDatabaseOptions,
  startEmbeddedDatabase,
} from "./db/embedded.ts";
export type { RawClient } from "./db/execute.ts";
export { defaultEmbedder } from "./embed/default-embedder.ts";
export type { Embedder } from "./embed/embedder.ts";
export { MiniLmEmbedder } from "./embed/minilm-embedder.ts";
export type { MiniLmEmbedderOptions } from "./embed/minilm-options.ts";
export type { ModelLocation } from "./embed/model-location.ts";
export {
  DatabaseUnavailableError,
  DimensionMismatchError,
  EmbeddingError,
  ExtensionMissingError,
  HybridStoreError,
  type HybridStoreErrorCode,
  InvalidArgumentError,
  InvalidFilterError,
  InvalidSchemaError,
  ModelNotFoundError,
  QueryError,
  SchemaMismatchError,
  UnsupportedPrismaError,
  type ValidationIssue,
} from "./errors.ts";
export {
  type BulkLoadScopeOptions,
  type ClientModelName,
  type HybridStoreClientMethods,
  type HybridStoreExtension,
  type HybridStoreOptions,
  hybridStore,
  withEmbedding,
} from "./extension.ts";
export * from "./ingest/index.ts";
export type { HybridScores } from "./query/hybrid-search.ts";
export type { SearchPlanReport } from "./query/model-methods.ts";
export type { PlanChoice, PlanKind, RecallExpectation, SearchPlan } from "./query/plan.ts";
export type { RecallOptions } from "./query/recall-calibration.ts";
export { DEFAULT_TAKE, MAX_EF_SEARCH, MAX_SKIP, MAX_TAKE } from "./query/search-args.ts";
export type {
  FusionArgs,
  HybridSearchArgs,
  QueryVector,
  SearchRow,
  SimilaritySearchArgs,
  TextSearchArgs,
  VectorFieldName,
} from "./query/search-types.ts";
export type { SimilarityScores } from "./query/similarity-search.ts";
export type { TextScores } from "./query/text-search.ts";
export type { VectorIndex } from "./query/vector-index.ts";
export type { ModelName } from "./schema/model-meta.ts";
export type { CompiledQuery } from "./sql/compiled-query.ts";
export type { BulkLoadOptions } from "./write/bulk-load.ts";
export type { ReembedOptions, ReembedProgress, ReembedResult } from "./write/reembed.ts";
