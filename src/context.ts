import type { HnswState } from "./db/hnsw-indexes.ts";
import type { BulkLoad } from "./embed/bulk-load.ts";
import type { Embedder } from "./embed/embedder.ts";
import type { EmbeddingCache } from "./embed/embedding-cache.ts";
import type { RecallCalibration } from "./query/recall-calibration.ts";
import type { RowEstimates } from "./query/row-estimates.ts";
import type { StoreSchema } from "./schema/model-meta.ts";

/** What every layer of one `hybridStore()` extension shares. */
export interface StoreContext {
  readonly schema: StoreSchema;
  readonly embedder: Embedder;
  readonly cache: EmbeddingCache;
  /** Planner row estimates for the plan choice, reused for a few seconds. */
  readonly estimates: RowEstimates;
  /** Recall targets and per-table ef_search calibration; absent with `recall: false`. */
  readonly recall?: RecallCalibration | undefined;
  /** Which tables have a usable HNSW index (a bulk load drops it for a while). */
  readonly hnsw?: HnswState | undefined;
  /** Drops and rebuilds HNSW indexes around large loads. */
  readonly bulkLoad?: BulkLoad | undefined;
}
