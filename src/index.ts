export { type EmbeddedDatabase, type EmbeddedDatabaseOptions, startEmbeddedDatabase } from "./db/embedded.ts";
export { defaultEmbedder } from "./embed/default-embedder.ts";
export type { Embedder } from "./embed/embedder.ts";
export { MiniLmEmbedder } from "./embed/minilm-embedder.ts";
export type { MiniLmEmbedderOptions } from "./embed/minilm-options.ts";
export type { ReembedOptions, ReembedProgress, ReembedResult } from "./embed/reembed.ts";
export {
  DatabaseUnavailableError,
  DimensionMismatchError,
  EmbeddingError,
  ExtensionMissingError,
  HybridStoreError,
  type HybridStoreErrorCode,
  InvalidArgumentError,
  InvalidFilterError,
  ModelNotFoundError,
  QueryError,
  SchemaMismatchError,
  type ValidationIssue,
} from "./errors.ts";
export { type HybridStoreOptions, hybridStore, withEmbedding } from "./extension.ts";
