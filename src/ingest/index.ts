// The ingest API, for `src/index.ts` to re-export: `export * from "./ingest/index.ts";`
export { type ChunkOptions, chunkSpans, chunkText, DEFAULT_CHUNK_OPTIONS, type TextChunk } from "./chunk-text.ts";
export { collectFiles } from "./collect-files.ts";
export { IngestFileError } from "./ingest-error.ts";
export { ingestFiles } from "./ingest-files.ts";
export type {
  ChunkRow,
  DocumentRow,
  IngestClient,
  IngestOptions,
  IngestProgress,
  IngestResult,
  StoredDocument,
} from "./ingest-types.ts";
export { type PruneOptions, pruneDocuments } from "./prune.ts";
