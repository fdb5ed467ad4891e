import type { Embedder } from "./embed/embedder.ts";
import type { EmbeddingCache } from "./embed/embedding-cache.ts";
import type { StoreSchema } from "./schema/model-meta.ts";

/** What every layer of one `hybridStore()` extension shares. */
export interface StoreContext {
  readonly schema: StoreSchema;
  readonly embedder: Embedder;
  readonly cache: EmbeddingCache;
}
