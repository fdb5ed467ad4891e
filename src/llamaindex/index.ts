/**
 * `prisma-hybrid-store/llamaindex`: the store as a LlamaIndex.TS vector store, and the MiniLM
 * embedder as a LlamaIndex embedding. Needs `@llamaindex/core` (a peer dependency).
 *
 * @packageDocumentation
 * @module prisma-hybrid-store/llamaindex
 */
export type {
  HybridFilterOperator,
  HybridFilterValue,
  HybridMetadataFilter,
  HybridMetadataFilters,
} from "./metadata-filters.ts";
export { MiniLmEmbedding } from "./minilm-embedding.ts";
export { HybridQueryMode, type HybridVectorStoreQuery } from "./run-query.ts";
export type { PrismaHybridVectorStoreOptions, PrismaLikeClient } from "./store-options.ts";
export { PrismaHybridVectorStore } from "./vector-store.ts";
